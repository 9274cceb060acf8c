//! kforge: a GitOps manifest compiler. A typed blueprint in, a canonical kustomize tree out.
//!
//! The pipeline, one module per stage: [`load`] -> [`check`] -> [`expand`] -> [`validate`] -> [`emit`], with
//! [`write`] putting the result on disk and [`cli`] at the edge. What the stages share (the
//! object model, manifests, pod templates, Calico types, name rules, field paths, schema
//! messages) sits below them in [`model`], so imports point one way: `tests/layers.rs` holds
//! the layer table. See ARCHITECTURE.md.

pub mod addons;
pub mod bootstrap;
pub mod check;
pub mod cli;
pub mod delivery;
pub mod diagnostic;
pub mod diff;
pub mod emit;
pub mod expand;
pub mod finding;
pub mod git;
pub mod json;
pub mod lint;
pub mod live;
pub mod load;
pub mod model;
pub mod overlay;
pub mod pipeline;
pub mod review;
pub mod secrets;
pub mod selector;
pub mod suggest;
pub mod synthetic;
pub mod validate;
pub mod write;
pub mod xref;
