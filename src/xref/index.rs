//! Indexes over an object set, built once: objects by (group, kind, namespace, name), pod
//! templates by namespace and by label pair. Every reference check is a map lookup, so the
//! whole pass stays linear in the number of objects.

use std::collections::hash_map::Entry;

use rustc_hash::FxHashMap;

use crate::model::object::key;
use crate::model::{Object, namespace_of, pods};
use crate::selector::LabelSet;

/// A pod template of the set.
#[derive(Debug)]
pub struct Template<'a> {
    pub object: usize,
    pub namespace: &'a str,
    pub labels: LabelSet<'a>,
}

pub struct Index<'a> {
    pub objects: &'a [Object],
    /// Each object's pod template, found once: the checks ask for it per object, and
    /// finding it reads several maps of the object's body.
    pods: Vec<Option<pods::PodTemplate<'a>>>,
    /// (group, kind, namespace) -> name -> object, whose names serve did-you-mean. Hashed at
    /// every level: an ordered map compares a new key with several others, and each of those
    /// strings lies in another object's memory (at 50,000 objects, a cache miss apiece).
    by_key: FxHashMap<(&'a str, &'a str, &'a str), FxHashMap<&'a str, usize>>,
    pub templates: Vec<Template<'a>>,
    by_namespace: FxHashMap<&'a str, Vec<usize>>,
    /// namespace -> label key -> label value -> templates.
    by_label: FxHashMap<&'a str, FxHashMap<&'a str, FxHashMap<&'a str, Vec<usize>>>>,
    /// `(first, again)` for every object whose identity an earlier one has, in the order of
    /// `again`: what `model::duplicates` finds, noticed while filling `by_key`.
    duplicates: Vec<(usize, usize)>,
}

impl<'a> Index<'a> {
    pub fn new(objects: &'a [Object]) -> Index<'a> {
        use rayon::prelude::*;
        // The bodies (each workload's template and its labels) are read on every core, each
        // object alone; the maps are then filled in object order on one thread. Filling them
        // is the larger part (at 50,000 objects, reading in parallel took 29 ms to 27.7, the
        // hashed maps 27.7 to 22.7), which is why `review::findings` runs other work beside.
        let (pods, mut labels): (Vec<_>, Vec<_>) = objects
            .par_iter()
            .map(|object| {
                let pod = pods::pod_template(object);
                (pod, pod.map(|template| template.labels()))
            })
            .unzip();
        let mut index = Index {
            objects,
            pods,
            by_key: FxHashMap::default(),
            templates: Vec::new(),
            by_namespace: FxHashMap::default(),
            by_label: FxHashMap::default(),
            duplicates: Vec::new(),
        };
        for (i, object) in objects.iter().enumerate() {
            // The first of duplicates answers lookups; the others are noted.
            let (group, kind, namespace, name) = key(object);
            let names = index.by_key.entry((group, kind, namespace)).or_default();
            match names.entry(name) {
                Entry::Occupied(first) => index.duplicates.push((*first.get(), i)),
                Entry::Vacant(slot) => {
                    slot.insert(i);
                }
            }
            if let Some(labels) = labels[i].take() {
                let id = index.templates.len();
                let namespace = namespace_of(object);
                index.by_namespace.entry(namespace).or_default().push(id);
                for (k, v) in &labels {
                    index
                        .by_label
                        .entry(namespace)
                        .or_default()
                        .entry(k)
                        .or_default()
                        .entry(v)
                        .or_default()
                        .push(id);
                }
                index.templates.push(Template {
                    object: i,
                    namespace,
                    labels,
                });
            }
        }
        index
    }

    /// Objects whose identity an earlier object of the set already has, as `(first, again)`,
    /// in the order of `again` (the same pairs as [`crate::model::duplicates`]).
    pub fn duplicates(&self) -> &[(usize, usize)] {
        &self.duplicates
    }

    /// The pod template of the object at `object`, when it is a workload with one.
    pub fn pod_template(&self, object: usize) -> Option<pods::PodTemplate<'a>> {
        self.pods.get(object).copied().flatten()
    }

    /// The object with this identity.
    pub fn get(&self, group: &str, kind: &str, namespace: &str, name: &str) -> Option<&'a Object> {
        self.by_key
            .get(&(group, kind, namespace))
            .and_then(|names| names.get(name))
            .map(|&i| &self.objects[i])
    }

    /// Names of every object of a kind in a namespace (for did-you-mean), sorted: of two
    /// names as close, the first wins, whatever the hash map's order.
    pub fn names(&self, group: &'a str, kind: &'a str, namespace: &'a str) -> Vec<&'a str> {
        let mut names: Vec<&'a str> = self
            .by_key
            .get(&(group, kind, namespace))
            .map(|names| names.keys().copied().collect())
            .unwrap_or_default();
        names.sort_unstable();
        names
    }

    /// Pod templates of `namespace` that may match a selector carrying the label pairs
    /// `required`: those holding the rarest pair, or all of the namespace without pairs.
    pub fn candidates(&self, namespace: &str, required: &[(&str, &str)]) -> &[usize] {
        let mut candidates = self.by_namespace.get(namespace).map(Vec::as_slice);
        let labels = self.by_label.get(namespace);
        for &(k, v) in required {
            let list = labels
                .and_then(|l| l.get(k))
                .and_then(|values| values.get(v))
                .map(Vec::as_slice)
                .unwrap_or_default();
            if candidates.is_none_or(|c| list.len() < c.len()) {
                candidates = Some(list);
            }
        }
        candidates.unwrap_or_default()
    }

    /// Whether any pod template in `namespace` satisfies `matches`. `required` are label pairs
    /// every match carries; the rarest one narrows the candidates.
    pub fn any_template(
        &self,
        namespace: &str,
        required: &[(&str, &str)],
        matches: impl Fn(&Template<'a>) -> bool,
    ) -> bool {
        self.candidates(namespace, required)
            .iter()
            .any(|&id| matches(&self.templates[id]))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn names_for_did_you_mean_come_sorted_whatever_the_order_of_the_set() {
        let objects: Vec<Object> = ["web-c", "web-a", "other", "web-b"]
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let body = serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": {"name": name, "namespace": "ns"}});
                Object::from_body(body, format!("/objects/{i}"))
            })
            .collect();
        let index = Index::new(&objects);
        assert_eq!(
            index.names("", "ConfigMap", "ns"),
            ["other", "web-a", "web-b", "web-c"]
        );
        assert_eq!(
            index.get("", "ConfigMap", "ns", "web-b").unwrap().name,
            "web-b"
        );
        assert!(index.names("", "ConfigMap", "elsewhere").is_empty());
    }

    #[test]
    fn duplicates_are_the_pairs_the_model_finds() {
        let body = |kind: &str, namespace: &str, name: &str| {
            serde_json::json!({"apiVersion": "v1", "kind": kind,
                "metadata": {"name": name, "namespace": namespace}})
        };
        let bodies = [
            body("ConfigMap", "a", "x"),
            body("ConfigMap", "b", "x"),
            body("Secret", "a", "x"),
            body("ConfigMap", "a", "x"),
            body("ConfigMap", "b", "x"),
            body("ConfigMap", "a", "x"),
        ];
        let objects: Vec<Object> = bodies
            .into_iter()
            .enumerate()
            .map(|(i, b)| Object::from_body(b, format!("/objects/{i}")))
            .collect();
        let index = Index::new(&objects);
        assert_eq!(index.duplicates(), [(0, 3), (1, 4), (0, 5)]);
        assert_eq!(index.duplicates(), crate::model::duplicates(&objects));
    }
}
