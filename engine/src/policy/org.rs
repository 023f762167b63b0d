//! Organisational units: named groups of environments (clusters), so findings can be searched
//! by unit as well as by environment.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The organisation's units, each a set of environment names.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Organisation {
    /// Unit name → the environments it holds.
    #[serde(default)]
    pub units: BTreeMap<String, BTreeSet<String>>,
}

impl Organisation {
    /// The units holding `environment`, by name.
    pub fn units_of(&self, environment: &str) -> Vec<String> {
        self.units
            .iter()
            .filter(|(_, envs)| envs.contains(environment))
            .map(|(unit, _)| unit.clone())
            .collect()
    }

    /// The environments of `unit`; `None` when no such unit exists.
    pub fn environments_of(&self, unit: &str) -> Option<&BTreeSet<String>> {
        self.units.get(unit)
    }
}
