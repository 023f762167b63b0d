//! `ssh-server`: an sshd binary in the image, or port 22 exposed.

use super::{Check, Hit};
use crate::analyze::Want;
use crate::layer::walk::{EntryKind, EntryMeta};
use oci_spec::image::ImageConfiguration;
use regex::bytes::Regex;

/// See the module doc.
pub struct SshServer;

/// Where distributions install the daemon.
const SSHD: &[&str] = &[
    "usr/sbin/sshd",
    "sbin/sshd",
    "usr/bin/sshd",
    "usr/local/sbin/sshd",
    "usr/local/bin/sshd",
];

impl Check for SshServer {
    fn name(&self) -> &'static str {
        "ssh-server"
    }

    fn wants(&self, entry: &EntryMeta) -> Option<Want> {
        (entry.kind == EntryKind::File && SSHD.contains(&entry.path.as_str())).then_some(Want::Meta)
    }

    fn file(&self, _entry: &EntryMeta, _content: &[u8], _param: Option<&Regex>) -> Vec<Hit> {
        vec![Hit::evidence("sshd binary")]
    }

    fn config(&self, config: &ImageConfiguration, _param: Option<&Regex>) -> Vec<Hit> {
        let ports = config
            .config()
            .as_ref()
            .and_then(|c| c.exposed_ports().clone());
        ports
            .unwrap_or_default()
            .iter()
            .filter(|p| matches!(p.as_str(), "22" | "22/tcp"))
            .map(|p| Hit::evidence(format!("EXPOSE {p}")))
            .collect()
    }
}
