//! In-crate tests for what the public API cannot see: the size estimate and number writing.
//! Behaviour tests live in `core/tests/replies*.rs`.

use super::*;
use alloc::string::ToString;
use alloc::vec;

fn all_kinds(s: &str) -> Vec<Reply> {
    let article = Article::new(s, s).with_description(s).with_image(s);
    let bodies = vec![
        ReplyBody::Text { content: s.to_string() },
        ReplyBody::Image {
            media_id: s.to_string(),
        },
        ReplyBody::Voice {
            media_id: s.to_string(),
        },
        ReplyBody::Video(Video::new(s).with_title(s).with_description(s)),
        ReplyBody::Music(
            Music::new(s)
                .with_title(s)
                .with_description(s)
                .with_music_url(s)
                .with_hq_music_url(s),
        ),
        ReplyBody::News(Articles::new(vec![article; 8]).unwrap()),
        ReplyBody::TransferCustomerService {
            kf_account: Some(s.to_string()),
        },
        ReplyBody::DeviceText(DeviceText::new(s, s, s, s)),
        ReplyBody::DeviceEvent(DeviceEvent::new(s, s, s, s, s)),
        ReplyBody::DeviceStatus(DeviceStatus::new(s, s, i64::MIN)),
        ReplyBody::Hardware(Hardware::new(s, s).with_func_flag(i64::MIN)),
        ReplyBody::TaskCard {
            replace_name: s.to_string(),
        },
    ];
    bodies
        .into_iter()
        .map(|b| Reply::new(s, s, b).with_agent(Some(u64::MAX)))
        .collect()
}

#[test]
fn render_allocates_once() {
    // Without `]]>` the estimate is an upper bound, so the buffer never grows: its capacity is
    // still exactly the estimate after rendering.
    for s in ["", "x", "中文 and 😀", &"a".repeat(65536)] {
        for reply in all_kinds(s) {
            let out = reply.render(UnixTime(u64::MAX));
            assert!(out.len() <= reply.estimated_len(), "{:?}", reply.body);
            assert_eq!(out.capacity(), reply.estimated_len(), "{:?}", reply.body);
        }
    }
}

#[test]
fn numbers() {
    for n in [0u64, 1, 9, 10, 99, 1_000_000, u64::MAX] {
        let mut s = String::new();
        render::push_u64(&mut s, n);
        assert_eq!(s, n.to_string());
    }
    let mut s = String::new();
    render::push_u64(&mut s, 42);
    render::push_u64(&mut s, 7);
    assert_eq!(s, "427");
}
