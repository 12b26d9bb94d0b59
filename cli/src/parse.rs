//! `wechat parse [--kind mp|work] [FILE]`: one callback body in, one JSON object out.
//!
//! ```text
//! {"type": "text" | "event" | "unknown" | ..., "event": "subscribe_scan" | null,
//!  "source": FromUserName, "target": ToUserName, "time": CreateTime, "id": MsgId | null,
//!  "agent": AgentID | null, "fields": {wechatpy attribute: value}, "raw": {element: text | {...}}}
//! ```
//!
//! Integers and floats are JSON numbers, datetimes Unix seconds. Rejected input exits 1 with
//! one line `error: <kind>: <detail>` on stderr.

use std::io::Write;
use std::path::PathBuf;

use serde::Serialize;
use wechat_core::message::{Body, Kind, Message, parse_message};
use wechat_core::xml::Raw;

use crate::Failure;
use crate::input::read_text;

#[derive(clap::Args)]
pub struct Args {
    /// Which platform the message comes from.
    #[arg(long, default_value = "mp", value_parser = ["mp", "work"])]
    kind: String,
    /// The XML file (stdin when absent or `-`).
    file: Option<PathBuf>,
}

/// The exact JSON shape printed by `wechat parse`.
#[derive(Serialize)]
pub struct Parsed<'a> {
    r#type: &'a str,
    event: Option<&'a str>,
    source: &'a str,
    target: &'a str,
    time: u64,
    id: Option<u64>,
    agent: Option<u64>,
    fields: &'a Body,
    raw: &'a Raw,
}

impl<'a> Parsed<'a> {
    pub fn of(m: &'a Message) -> Self {
        Parsed {
            r#type: m.type_name(),
            event: m.event_key(),
            source: &m.source,
            target: &m.target,
            time: m.time,
            id: m.id,
            agent: m.agent,
            fields: &m.body,
            raw: &m.raw,
        }
    }
}

pub fn run(args: Args) -> Result<(), Failure> {
    let kind: Kind = args.kind.parse()?;
    let xml = read_text(args.file.as_ref())?;
    let message = parse_message(&xml, kind).map_err(|e| {
        // keep the report on one line whatever the XML error says
        let detail: String = e
            .to_string()
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        Failure::new(e.kind(), detail)
    })?;
    let json = serde_json::to_string(&Parsed::of(&message)).map_err(|e| Failure::new("internal", e.to_string()))?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{json}").map_err(|e| Failure::new("io", e.to_string()))
}
