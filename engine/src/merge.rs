//! Merging layers into the final filesystem view: upper layers replace lower ones, whiteouts
//! delete, opaque directories hide, and a non-directory hides whatever lay below it.
//!
//! Only the analysed paths take part, so memory grows with what analyzers found, not with the
//! number of files in the image.

use crate::analyze::{LayerAnalysis, PathResult};
use crate::layer::path::ancestors;
use crate::layer::walk::EntryKind;
use std::collections::{BTreeMap, HashMap, HashSet};

/// A path of the final view and the layer it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewEntry<'a> {
    /// Index of the layer (0 = bottom).
    pub layer: usize,
    /// The analyzers' results for that path in that layer.
    pub result: &'a PathResult,
}

/// The analysed paths as the running container sees them, by path.
pub fn final_view(layers: &[LayerAnalysis]) -> BTreeMap<&str, ViewEntry<'_>> {
    let mut view = BTreeMap::new();
    let mut seen: HashSet<&str> = HashSet::new();
    // Paths deleted together with everything below them.
    let mut gone: HashSet<&str> = HashSet::new();
    // Directories whose lower contents are hidden (the directory itself stays).
    let mut hidden_below: HashSet<&str> = HashSet::new();
    for (index, layer) in layers.iter().enumerate().rev() {
        // Inside one layer tar order decides: a non-directory replaces what the layer put
        // below the same path before it, as an unpacker extracting in order does.
        let mut replaced_at: HashMap<&str, usize> = HashMap::new();
        for (i, result) in layer.results.iter().enumerate() {
            if result.kind != EntryKind::Dir {
                replaced_at.insert(&result.path, i);
            }
        }
        // An opaque marker at the root (`.wh..wh..opq`) hides every lower layer.
        let root_hidden = hidden_below.contains("");
        for (i, result) in layer.results.iter().enumerate() {
            let path = result.path.as_str();
            if seen.contains(path) {
                continue;
            }
            let deleted = root_hidden
                || ((!gone.is_empty() || !hidden_below.is_empty())
                    && (gone.contains(path)
                        || ancestors(path).any(|a| gone.contains(a) || hidden_below.contains(a))));
            let replaced = !replaced_at.is_empty()
                && ancestors(path).any(|a| replaced_at.get(a).is_some_and(|&at| at > i));
            if !deleted && !replaced {
                view.insert(
                    path,
                    ViewEntry {
                        layer: index,
                        result,
                    },
                );
            }
        }
        // This layer's deletions and replacements apply to the layers below it only.
        for result in &layer.results {
            seen.insert(&result.path);
            if result.kind != EntryKind::Dir {
                hidden_below.insert(&result.path);
            }
        }
        gone.extend(layer.whiteouts.iter().map(String::as_str));
        hidden_below.extend(layer.opaque_dirs.iter().map(String::as_str));
    }
    view
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer(paths: &[(&str, EntryKind)], whiteouts: &[&str], opaque: &[&str]) -> LayerAnalysis {
        LayerAnalysis {
            results: paths
                .iter()
                .map(|(p, k)| PathResult {
                    path: p.to_string(),
                    kind: *k,
                    artifacts: vec![],
                })
                .collect(),
            whiteouts: whiteouts.iter().map(|s| s.to_string()).collect(),
            opaque_dirs: opaque.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn whiteouts_opaque_and_replacement() {
        use EntryKind::*;
        let layers = [
            layer(
                &[
                    ("a", Dir),
                    ("a/x", File),
                    ("b", Dir),
                    ("b/y", File),
                    ("c", Dir),
                    ("c/z", File),
                    ("d", File),
                ],
                &[],
                &[],
            ),
            layer(&[("b/new", File), ("c", File), ("d", File)], &["a"], &["b"]),
        ];
        let view = final_view(&layers);
        let got: Vec<(&str, usize)> = view.iter().map(|(p, e)| (*p, e.layer)).collect();
        assert_eq!(got, vec![("b", 0), ("b/new", 1), ("c", 1), ("d", 1)]);
    }
}
