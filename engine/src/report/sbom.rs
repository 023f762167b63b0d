//! What the SBOM renderings share: document identity and time.

use crate::report::Report;
use sha2::{Digest as _, Sha256};
use std::time::{Duration, SystemTime};

/// The tool that made the document.
pub const TOOL: &str = "assure";
/// Its version.
pub const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Document creation time, RFC 3339 in UTC to the second: `SOURCE_DATE_EPOCH` when set
/// (reproducible-builds.org), so a pipeline can make byte-identical documents; else now.
pub fn now() -> String {
    let at = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .map_or_else(SystemTime::now, |secs| {
            SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
        });
    humantime::format_rfc3339_seconds(at).to_string()
}

/// A UUID-shaped identifier derived from the image and the creation time, so two documents
/// for the same image made at different times differ, and a test can reproduce one.
pub fn document_uuid(report: &Report, created: &str) -> String {
    let h = Sha256::digest(format!("{}\n{created}", report.image.digest));
    let mut b = [0u8; 16];
    b.copy_from_slice(&h[..16]);
    // Version 5 and RFC 4122 variant bits, as for a name-based UUID.
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    let x = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &x[..8],
        &x[8..12],
        &x[12..16],
        &x[16..20],
        &x[20..]
    )
}
