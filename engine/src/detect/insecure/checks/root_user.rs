//! `root-user`: the image runs as root because it sets no USER, or sets root / uid 0.

use super::{Check, Hit};
use oci_spec::image::ImageConfiguration;
use regex::bytes::Regex;

/// See the module doc.
pub struct RootUser;

impl Check for RootUser {
    fn name(&self) -> &'static str {
        "root-user"
    }

    fn config(&self, config: &ImageConfiguration, _param: Option<&Regex>) -> Vec<Hit> {
        let user = config
            .config()
            .as_ref()
            .and_then(|c| c.user().clone())
            .unwrap_or_default();
        let name = user.split(':').next().unwrap_or("").trim();
        match name {
            "" => vec![Hit::evidence("no USER set")],
            "root" | "0" => vec![Hit::evidence(format!("USER {user}"))],
            _ => Vec::new(),
        }
    }
}
