//! kforge: a GitOps manifest compiler. A typed blueprint in, a canonical kustomize tree out.
//!
//! The pipeline, one module per stage: [`load`] -> [`check`] -> [`expand`] -> [`validate`] -> [`emit`], with
//! [`write`] putting the result on disk and [`cli`] at the edge. See ARCHITECTURE.md.

pub mod calico;
pub mod check;
pub mod cli;
pub mod diagnostic;
pub mod emit;
pub mod expand;
pub mod finding;
pub mod load;
pub mod suggest;
pub mod validate;
pub mod write;
