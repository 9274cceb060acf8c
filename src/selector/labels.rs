//! Kubernetes label selectors: `matchLabels` plus `matchExpressions` (In, NotIn, Exists,
//! DoesNotExist), and a Service's plain `selector` map.

use serde_json::Value;

use super::LabelSet;

/// One `matchExpressions` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Requirement {
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    DoesNotExist(String),
}

/// A parsed label selector. An empty one selects everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabelSelector {
    pub match_labels: Vec<(String, String)>,
    pub expressions: Vec<Requirement>,
}

impl LabelSelector {
    /// Parses a `LabelSelector` object; unknown operators are an error.
    pub fn parse(value: &Value) -> Result<LabelSelector, String> {
        let mut selector = LabelSelector::from_map(value.get("matchLabels"));
        let expressions = value
            .get("matchExpressions")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        for expression in expressions {
            let key = expression
                .get("key")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let values: Vec<String> = expression
                .get("values")
                .and_then(Value::as_array)
                .map(|v| {
                    v.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default();
            let operator = expression
                .get("operator")
                .and_then(Value::as_str)
                .unwrap_or("");
            selector.expressions.push(match operator {
                "In" => Requirement::In(key, values),
                "NotIn" => Requirement::NotIn(key, values),
                "Exists" => Requirement::Exists(key),
                "DoesNotExist" => Requirement::DoesNotExist(key),
                other => return Err(format!("unknown selector operator `{other}`")),
            });
        }
        Ok(selector)
    }

    /// A plain `key: value` map (a Service's selector, `matchLabels`).
    pub fn from_map(value: Option<&Value>) -> LabelSelector {
        let match_labels = value
            .and_then(Value::as_object)
            .map(|map| {
                map.iter()
                    .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_owned())))
                    .collect()
            })
            .unwrap_or_default();
        LabelSelector {
            match_labels,
            expressions: Vec::new(),
        }
    }

    /// Whether it selects every pod (`{}`).
    pub fn is_everything(&self) -> bool {
        self.match_labels.is_empty() && self.expressions.is_empty()
    }

    pub fn matches(&self, labels: &LabelSet<'_>) -> bool {
        self.match_labels
            .iter()
            .all(|(k, v)| labels.get(k.as_str()) == Some(&v.as_str()))
            && self.expressions.iter().all(|r| match r {
                Requirement::In(k, values) => labels
                    .get(k.as_str())
                    .is_some_and(|v| values.iter().any(|x| x == v)),
                Requirement::NotIn(k, values) => labels
                    .get(k.as_str())
                    .is_none_or(|v| values.iter().all(|x| x != v)),
                Requirement::Exists(k) => labels.contains_key(k.as_str()),
                Requirement::DoesNotExist(k) => !labels.contains_key(k.as_str()),
            })
    }

    /// `key == value` pairs every match carries.
    pub fn required(&self) -> Vec<(&str, &str)> {
        let mut out: Vec<(&str, &str)> = self
            .match_labels
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        for r in &self.expressions {
            if let Requirement::In(k, values) = r
                && let [only] = values.as_slice()
            {
                out.push((k.as_str(), only.as_str()));
            }
        }
        out
    }

    /// A short text form for messages: `a=b,c in (d)`.
    pub fn describe(&self) -> String {
        let mut parts: Vec<String> = self
            .match_labels
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        for r in &self.expressions {
            parts.push(match r {
                Requirement::In(k, v) => format!("{k} in ({})", v.join(",")),
                Requirement::NotIn(k, v) => format!("{k} notin ({})", v.join(",")),
                Requirement::Exists(k) => k.clone(),
                Requirement::DoesNotExist(k) => format!("!{k}"),
            });
        }
        parts.join(",")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels<'a>(pairs: &[(&'a str, &'a str)]) -> LabelSet<'a> {
        pairs.iter().copied().collect()
    }

    #[test]
    fn match_labels_and_expressions() {
        let selector = LabelSelector::parse(&serde_json::json!({
            "matchLabels": {"app": "web"},
            "matchExpressions": [
                {"key": "tier", "operator": "In", "values": ["a", "b"]},
                {"key": "canary", "operator": "DoesNotExist"},
                {"key": "zone", "operator": "NotIn", "values": ["x"]},
            ]
        }))
        .unwrap();
        assert!(selector.matches(&labels(&[("app", "web"), ("tier", "a")])));
        assert!(!selector.matches(&labels(&[("app", "web"), ("tier", "c")])));
        assert!(!selector.matches(&labels(&[("app", "web"), ("tier", "a"), ("canary", "1")])));
        assert!(!selector.matches(&labels(&[("app", "web"), ("tier", "a"), ("zone", "x")])));
        assert!(!selector.matches(&labels(&[("app", "db"), ("tier", "a")])));
        assert_eq!(selector.required(), vec![("app", "web")]);
    }

    #[test]
    fn empty_selects_everything_and_bad_operators_are_refused() {
        let empty = LabelSelector::parse(&serde_json::json!({})).unwrap();
        assert!(empty.is_everything() && empty.matches(&labels(&[])));
        assert!(
            LabelSelector::parse(&serde_json::json!({
                "matchExpressions": [{"key": "a", "operator": "Equals"}]
            }))
            .is_err()
        );
    }
}
