//! A HorizontalPodAutoscaler's `scaleTargetRef` names a workload of its namespace.

use super::Ctx;
use crate::model::namespace_of;
use crate::model::pods::text;

pub(super) fn check(cx: &mut Ctx<'_, '_>) {
    for (i, object) in cx.each() {
        if (
            crate::model::group(&object.api_version),
            object.kind.as_str(),
        ) != ("autoscaling", "HorizontalPodAutoscaler")
        {
            continue;
        }
        let body = &object.body;
        let (Some(kind), Some(name)) = (
            text(body, "/spec/scaleTargetRef/kind"),
            text(body, "/spec/scaleTargetRef/name"),
        ) else {
            continue;
        };
        let group =
            crate::model::group(text(body, "/spec/scaleTargetRef/apiVersion").unwrap_or(""));
        let namespace = namespace_of(object);
        if cx.index.get(group, kind, namespace, name).is_none() {
            cx.missing_object(
                i,
                "/spec/scaleTargetRef/name".into(),
                group,
                kind,
                namespace,
                name,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::messages;

    const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: web}\nspec: {template: {spec: {containers: []}}}\n";

    fn hpa(target: &str) -> String {
        format!(
            "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {{name: web, namespace: web}}\nspec: {{maxReplicas: 3, scaleTargetRef: {target}}}\n"
        )
    }

    #[test]
    fn target_exists() {
        assert!(
            messages(&format!(
                "{DEPLOYMENT}---\n{}",
                hpa("{apiVersion: apps/v1, kind: Deployment, name: web}")
            ))
            .is_empty()
        );
        assert_eq!(
            messages(&format!(
                "{DEPLOYMENT}---\n{}",
                hpa("{apiVersion: apps/v1, kind: StatefulSet, name: web}")
            )),
            ["StatefulSet `web` does not exist in namespace `web`"]
        );
        assert_eq!(
            messages(&format!(
                "{DEPLOYMENT}---\n{}",
                hpa("{apiVersion: apps/v1, kind: Deployment, name: wbe}")
            )),
            ["Deployment `wbe` does not exist in namespace `web`"]
        );
    }
}
