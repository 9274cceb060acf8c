use serde_json::Value;

use crate::json::At;
use crate::lint::rule::{Hit, Rule};
use crate::model::Object;

crate::lint::rule::rule! {
    /// ## What it does
    /// Flags Service `nodePort` values outside Kubernetes' default NodePort range,
    /// 30000-32767.
    ///
    /// ## Why it matters
    /// The API server rejects a node port outside its `--service-node-port-range`, so the
    /// Service never gets applied; clusters that widen the range are rare, and ports below
    /// 30000 collide with host services.
    ///
    /// ## How to fix
    /// Pick a port between 30000 and 32767, or leave `nodePort` out and let Kubernetes choose.
    /// If your cluster uses another range on purpose, disable the rule in `spec.lint.disable`.
    ///
    /// ## Example
    /// ```yaml
    /// service: {type: NodePort, nodePorts: {http: 8080}}    # flagged
    /// service: {type: NodePort, nodePorts: {http: 30080}}   # fine
    /// ```
    pub struct NodePortOutOfRange;
}

const RANGE: std::ops::RangeInclusive<i64> = 30000..=32767;

impl Rule for NodePortOutOfRange {
    fn per_object(&self) -> bool {
        true
    }

    fn check(&self, objects: &[Object]) -> Vec<Hit> {
        let mut out = Vec::new();
        for (i, object) in objects.iter().enumerate() {
            if object.kind != "Service" || object.api_version != "v1" {
                continue;
            }
            let ports = object
                .body
                .at("/spec/ports")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or_default();
            for (p, port) in ports.iter().enumerate() {
                let Some(node_port) = port.get("nodePort").and_then(Value::as_i64) else {
                    continue;
                };
                if !RANGE.contains(&node_port) {
                    out.push(
                        Hit::new(
                            i,
                            format!("/spec/ports/{p}/nodePort"),
                            format!(
                                "node port {node_port} of Service `{}` is outside 30000-32767",
                                object.name
                            ),
                        )
                        .help("choose a port between 30000 and 32767, or let Kubernetes pick one"),
                    );
                }
            }
        }
        out
    }
}
