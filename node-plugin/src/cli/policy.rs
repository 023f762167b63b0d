//! The policy options `assure scan` and `assure rematch` share, and applying them.

use anyhow::Result;
use assure_engine::Report;
use assure_engine::policy::{self, Organisation, Ruleset, VexDocument};
use clap::Args;
use std::path::PathBuf;

/// Which ruleset, VEX documents and organisation judge an image.
#[derive(Args, Debug)]
pub struct PolicyArgs {
    /// Ruleset (YAML) to judge the image by; the built-in default ruleset when absent.
    #[arg(long, value_name = "FILE")]
    ruleset: Option<PathBuf>,
    /// OpenVEX document whose not_affected statements suppress findings (repeatable).
    #[arg(long, value_name = "FILE")]
    vex: Vec<PathBuf>,
    /// Organisation file (YAML) mapping units to environments; reports name the units
    /// holding their environment.
    #[arg(long, value_name = "FILE", env = "ASSURE_ORGANISATION")]
    organisation: Option<PathBuf>,
}

/// The loaded policy files.
pub struct Policy {
    ruleset: Ruleset,
    vex: Vec<VexDocument>,
    organisation: Option<Organisation>,
}

impl PolicyArgs {
    /// Read every file; a mistake in one stops before any work is done.
    pub fn load(&self) -> Result<Policy> {
        let ruleset = match &self.ruleset {
            Some(path) => policy::load::from_file::<Ruleset>(path)?,
            None => Ruleset::builtin(),
        };
        let vex = self
            .vex
            .iter()
            .map(|p| VexDocument::load(p))
            .collect::<Result<Vec<_>, _>>()?;
        let organisation = match &self.organisation {
            Some(path) => Some(policy::load::from_file::<Organisation>(path)?),
            None => None,
        };
        Ok(Policy {
            ruleset,
            vex,
            organisation,
        })
    }
}

impl Policy {
    /// Judge `report`, found in `environment`. Without an organisation file the units the
    /// report already names are kept.
    pub fn apply(&self, report: &mut Report, environment: Option<String>) {
        let mut context = policy::Context::new(environment);
        context.units = match (&self.organisation, &context.environment) {
            (Some(org), Some(env)) => org.units_of(env),
            (Some(_), None) => Vec::new(),
            (None, _) => report.units.clone(),
        };
        policy::apply(report, &self.ruleset, &self.vex, &context);
    }
}
