//! Reading the body argument: a FILE, or stdin.

use std::io::Read;
use std::path::PathBuf;

use crate::Failure;

/// Reads FILE (or stdin when absent or `-`) as UTF-8.
pub fn read_text(file: Option<&PathBuf>) -> Result<String, Failure> {
    let bytes = match file {
        Some(path) if path.as_os_str() != "-" => {
            std::fs::read(path).map_err(|e| Failure::new("io", format!("{}: {e}", path.display())))?
        }
        _ => {
            let mut buf = Vec::new();
            std::io::stdin()
                .read_to_end(&mut buf)
                .map_err(|e| Failure::new("io", format!("stdin: {e}")))?;
            buf
        }
    };
    String::from_utf8(bytes).map_err(|_| Failure::new("invalid-utf8", "the input is not valid UTF-8"))
}
