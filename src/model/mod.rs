//! The object model every stage shares: [`Object`] and its identity (group, kind, namespace
//! or cluster scope, name, origin), duplicates among objects, manifests read into objects,
//! pod templates, the Calico types, Kubernetes name rules, field paths, the labels kforge
//! leaves for its later stages, and the one translator of JSON-Schema errors into messages.
//!
//! Architecture invariant: pure, and imports nothing above it (only `json`, `suggest`,
//! `diagnostic`, `finding` and `selector`), so that `load`, `check`, `expand`, `xref`,
//! `lint`, `emit` and `validate` all import it and never each other in a circle
//! (`tests/layers.rs` holds the direction).

pub mod artifact;
pub mod calico;
pub mod fields;
pub mod labels;
pub mod manifest;
pub mod names;
pub mod object;
pub mod pods;
#[cfg(test)]
pub(crate) mod samples;
pub mod violation;

pub use fields::field_path;

/// The Kubernetes minor a blueprint targets when it names none (`spec.kubernetesVersion`).
pub const DEFAULT_KUBERNETES_VERSION: &str = "1.33";
pub use object::{Object, duplicates, group, namespace_of};

/// Objects per slice for the passes that judge one object at a time (the reference checks,
/// the per-object lint rules): a few MiB of JSON, which stays in the cache while every check
/// of the pass reads it. Over the whole set at once, each check read every object from
/// memory again once the set outgrew the cache (at 50,000 objects the checks took 8x and
/// the rules 11x their time at 10,000).
pub const SLICE: usize = 1024;
