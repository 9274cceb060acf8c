//! Object sets for the tests of the stages that read them (built by hand, so that `model`
//! stays below every stage).

/// A set of `apps` Deployments (untagged image, no probes, no securityContext, service
/// account `sa-<i>`, one replica), a Service selecting each, a ServiceAccount for every other
/// app, for every fourth a PodDisruptionBudget that keeps its one replica up and, for every
/// fifth, a PersistentVolumeClaim naming no class (no StorageClass of the set is the default).
pub(crate) fn sample_set(apps: usize) -> Vec<crate::model::Object> {
    use serde_json::json;
    let mut objects = Vec::new();
    for i in 0..apps {
        let namespace = format!("ns-{}", i % 3);
        let labels = json!({"app": format!("app-{i}")});
        objects.push(json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": format!("app-{i}"), "namespace": namespace},
            "spec": {"selector": {"matchLabels": labels}, "template": {
                "metadata": {"labels": labels},
                "spec": {"serviceAccountName": format!("sa-{i}"),
                         "containers": [{"name": "main", "image": "nginx"}]}}}
        }));
        objects.push(json!({
            "apiVersion": "v1", "kind": "Service",
            "metadata": {"name": format!("app-{i}"), "namespace": namespace},
            "spec": {"selector": if i % 3 == 0 { json!({"app": "nobody"}) } else { labels.clone() },
                     "ports": [{"port": 80}]}
        }));
        if i % 2 == 0 {
            objects.push(json!({
                "apiVersion": "v1", "kind": "ServiceAccount",
                "metadata": {"name": format!("sa-{i}"), "namespace": namespace}
            }));
        }
        if i % 5 == 0 {
            objects.push(json!({
                "apiVersion": "v1", "kind": "PersistentVolumeClaim",
                "metadata": {"name": format!("data-{i}"), "namespace": namespace},
                "spec": {"accessModes": ["ReadWriteOnce"],
                         "resources": {"requests": {"storage": "1Gi"}}}
            }));
        }
        if i % 4 == 0 {
            objects.push(json!({
                "apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
                "metadata": {"name": format!("app-{i}"), "namespace": namespace},
                "spec": {"minAvailable": 1, "selector": {"matchLabels": labels}}
            }));
        }
    }
    objects
        .into_iter()
        .enumerate()
        .map(|(i, body)| crate::model::Object::from_body(body, format!("/objects/{i}")))
        .collect()
}
