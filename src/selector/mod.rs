//! Label selectors in the two languages kforge's objects use: Kubernetes' structured
//! `LabelSelector` (and a Service's plain map) and Calico's selector expressions. Both answer
//! the same questions: does it match this label set, and which `key == value` pairs must every
//! match carry (so callers can look candidates up in an index instead of scanning).

pub mod calico;
pub mod labels;

use std::collections::BTreeMap;

/// A pod's labels as selectors see them.
pub type LabelSet<'a> = BTreeMap<&'a str, &'a str>;
