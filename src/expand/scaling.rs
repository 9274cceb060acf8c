//! Scaling and disruption: HorizontalPodAutoscaler (autoscaling/v2) and PodDisruptionBudget
//! (policy/v1).

use k8s_openapi::api::autoscaling::v2::{
    CrossVersionObjectReference, HorizontalPodAutoscaler, HorizontalPodAutoscalerSpec, MetricSpec,
    MetricTarget, ResourceMetricSource,
};
use k8s_openapi::api::policy::v1::{PodDisruptionBudget, PodDisruptionBudgetSpec};

use super::Expansion;
use super::workload::int_or_percent;

/// The CPU target Kubernetes itself assumes when an HPA names no metric.
const DEFAULT_CPU_UTILIZATION: i32 = 80;

fn utilization(resource: &str, percent: i32) -> MetricSpec {
    MetricSpec {
        type_: "Resource".into(),
        resource: Some(ResourceMetricSource {
            name: resource.into(),
            target: MetricTarget {
                type_: "Utilization".into(),
                average_utilization: Some(percent),
                ..Default::default()
            },
        }),
        ..Default::default()
    }
}

pub(super) fn expand(x: &mut Expansion<'_>, index: usize) {
    let loaded = x.loaded;
    let app = &loaded.blueprint.spec.apps[index];
    let namespace = Some(app.namespace.as_str());
    if let Some(autoscale) = &app.autoscale {
        let mut metrics = Vec::new();
        if let Some(cpu) = autoscale.cpu_utilization {
            metrics.push(utilization("cpu", cpu));
        }
        if let Some(memory) = autoscale.memory_utilization {
            metrics.push(utilization("memory", memory));
        }
        if metrics.is_empty() {
            metrics.push(utilization("cpu", DEFAULT_CPU_UTILIZATION));
        }
        let object = HorizontalPodAutoscaler {
            metadata: x.labels.meta(&app.name, namespace, &app.name),
            spec: Some(HorizontalPodAutoscalerSpec {
                scale_target_ref: CrossVersionObjectReference {
                    api_version: Some("apps/v1".into()),
                    kind: app.workload.as_str().into(),
                    name: app.name.clone(),
                },
                min_replicas: Some(autoscale.min_replicas),
                max_replicas: autoscale.max_replicas,
                metrics: Some(metrics),
                ..Default::default()
            }),
            ..Default::default()
        };
        x.push(
            &object,
            &app.name,
            namespace,
            &format!("/spec/apps/{index}/autoscale"),
        );
    }
    if let Some(disruption) = &app.disruption {
        let object = PodDisruptionBudget {
            metadata: x.labels.meta(&app.name, namespace, &app.name),
            spec: Some(PodDisruptionBudgetSpec {
                selector: Some(x.labels.label_selector(&app.name)),
                min_available: disruption.min_available.as_ref().map(int_or_percent),
                max_unavailable: disruption.max_unavailable.as_ref().map(int_or_percent),
                ..Default::default()
            }),
            ..Default::default()
        };
        x.push(
            &object,
            &app.name,
            namespace,
            &format!("/spec/apps/{index}/disruption"),
        );
    }
}
