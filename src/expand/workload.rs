//! Workloads: the pod template every app shares, wrapped as a Deployment, StatefulSet,
//! DaemonSet, Job or CronJob.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{
    DaemonSet, DaemonSetSpec, DaemonSetUpdateStrategy, Deployment, DeploymentSpec,
    DeploymentStrategy, RollingUpdateDaemonSet, RollingUpdateDeployment,
    RollingUpdateStatefulSetStrategy, StatefulSet, StatefulSetSpec, StatefulSetUpdateStrategy,
};
use k8s_openapi::api::batch::v1::{CronJob, CronJobSpec, Job, JobSpec, JobTemplateSpec};
use k8s_openapi::api::core::v1::{
    Capabilities, ConfigMapEnvSource, ConfigMapKeySelector, ConfigMapVolumeSource, Container,
    ContainerPort, DownwardAPIVolumeFile, DownwardAPIVolumeSource, EmptyDirVolumeSource,
    EnvFromSource, EnvVar, EnvVarSource, ExecAction, HTTPGetAction, HostPathVolumeSource,
    KeyToPath, ObjectFieldSelector, PersistentVolumeClaim, PersistentVolumeClaimVolumeSource,
    PodSecurityContext, PodSpec, PodTemplateSpec, Probe, ResourceRequirements, SeccompProfile,
    SecretEnvSource, SecretKeySelector, SecretVolumeSource, SecurityContext, TCPSocketAction,
    Toleration, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::Expansion;
use super::config::{app_config_name, checksum};
use super::labels::{non_empty, non_empty_vec};
use super::storage::claim_spec;
use crate::load::blueprint::{
    self as bp, App, DownwardField, IntOrPercent, PodSecurityLevel, PortRef, StrategyType, Workload,
};
use crate::model::labels::{POD_SECURITY, POD_SECURITY_REASON};

pub const CONFIG_CHECKSUM: &str = "kforge.io/config-checksum";
pub const CHANGE_CAUSE: &str = "kubernetes.io/change-cause";
const CONTROL_PLANE_TAINT: &str = "node-role.kubernetes.io/control-plane";
const CONFIG_VOLUME: &str = "config-files";
const TMP_VOLUME: &str = "tmp";

/// The name of the Service a StatefulSet is governed by: its own when headless, else
/// `<app>-headless`.
pub(crate) fn governing_service(app: &App) -> String {
    match app.service.as_ref().map(|s| s.kind) {
        Some(bp::ServiceType::Headless) => app.name.clone(),
        _ => format!("{}-headless", app.name),
    }
}

/// The update strategy type of a StatefulSet or DaemonSet.
fn update_type(strategy: &bp::Strategy) -> String {
    match strategy.kind {
        Some(StrategyType::OnDelete) => "OnDelete".into(),
        _ => "RollingUpdate".into(),
    }
}

pub(crate) fn int_or_percent(value: &IntOrPercent) -> IntOrString {
    match value {
        IntOrPercent::Int(n) => IntOrString::Int(*n),
        IntOrPercent::Percent(s) => IntOrString::String(s.clone()),
    }
}

/// The container port a reference resolves to, by name when the port has one.
fn port_target(app: &App, reference: &PortRef) -> IntOrString {
    match app.port(reference) {
        Some(bp::Port {
            name: Some(name), ..
        }) => IntOrString::String(name.clone()),
        Some(port) => IntOrString::Int(i32::from(port.port)),
        None => match reference {
            PortRef::Number(n) => IntOrString::Int(i32::from(*n)),
            PortRef::Name(n) => IntOrString::String(n.clone()),
        },
    }
}

fn quantities(
    map: &BTreeMap<String, crate::load::quantity::Quantity>,
) -> Option<BTreeMap<String, Quantity>> {
    non_empty(
        map.iter()
            .map(|(k, v)| (k.clone(), Quantity(v.0.clone())))
            .collect(),
    )
}

fn probe(app: &App, probe: &bp::Probe) -> Probe {
    Probe {
        exec: probe.exec.as_ref().map(|command| ExecAction {
            command: Some(command.clone()),
        }),
        tcp_socket: probe.tcp.as_ref().map(|port| TCPSocketAction {
            port: port_target(app, port),
            ..Default::default()
        }),
        http_get: probe.http.as_ref().map(|http| HTTPGetAction {
            path: Some(http.path.clone()),
            port: port_target(app, &http.port),
            scheme: http.scheme.map(|s| format!("{s:?}").to_uppercase()),
            ..Default::default()
        }),
        initial_delay_seconds: probe.initial_delay_seconds,
        period_seconds: probe.period_seconds,
        timeout_seconds: probe.timeout_seconds,
        failure_threshold: probe.failure_threshold,
        success_threshold: probe.success_threshold,
        ..Default::default()
    }
}

/// The containers' and the pod's security contexts for the app's Pod Security level:
/// `restricted` fills in everything the profile asks for (what the app sets itself stays, as
/// far as the profile allows: the check stage refused the rest); `baseline` adds the
/// runtime's seccomp profile; `privileged` only what the app says.
fn security(app: &App) -> (Option<SecurityContext>, Option<PodSecurityContext>) {
    let sc = app.security_context.clone().unwrap_or_default();
    let level = sc.level();
    let restricted = level == PodSecurityLevel::Restricted;
    let capabilities = sc.capabilities.clone().unwrap_or_default();
    let mut drop = capabilities.drop.clone();
    if restricted && !drop.iter().any(|c| c == "ALL") {
        drop = vec!["ALL".to_owned()];
    }
    let capabilities = (!drop.is_empty() || !capabilities.add.is_empty()).then(|| Capabilities {
        add: non_empty_vec(capabilities.add.clone()),
        drop: non_empty_vec(drop),
    });
    let container = SecurityContext {
        run_as_non_root: sc.run_as_non_root.or(restricted.then_some(true)),
        run_as_user: sc.run_as_user,
        run_as_group: sc.run_as_group,
        read_only_root_filesystem: sc.read_only_root_filesystem.or(restricted.then_some(true)),
        privileged: sc.privileged,
        allow_privilege_escalation: sc
            .allow_privilege_escalation
            .or(restricted.then_some(false)),
        capabilities,
        ..Default::default()
    };
    let seccomp = (level < PodSecurityLevel::Privileged).then(|| SeccompProfile {
        type_: "RuntimeDefault".into(),
        localhost_profile: None,
    });
    let pod = PodSecurityContext {
        fs_group: sc.fs_group,
        seccomp_profile: seccomp,
        ..Default::default()
    };
    let container = (container != SecurityContext::default()).then_some(container);
    let pod = (pod != PodSecurityContext::default()).then_some(pod);
    (container, pod)
}

/// A read-only root filesystem still needs somewhere to write temporary files: an `emptyDir`
/// at `/tmp`, unless the app mounts something there itself.
fn writable_tmp(app: &App, container: Option<&SecurityContext>, wiring: &mut Wiring) {
    let read_only = container.and_then(|c| c.read_only_root_filesystem) == Some(true);
    if !read_only
        || wiring
            .mounts
            .iter()
            .any(|m| m.mount_path.trim_end_matches('/') == "/tmp")
    {
        return;
    }
    let name = if app.volumes.iter().any(|v| v.name == TMP_VOLUME) {
        format!("kforge-{TMP_VOLUME}")
    } else {
        TMP_VOLUME.to_owned()
    };
    wiring.volumes.push(Volume {
        name: name.clone(),
        empty_dir: Some(EmptyDirVolumeSource::default()),
        ..Default::default()
    });
    wiring.mounts.push(VolumeMount {
        name,
        mount_path: "/tmp".into(),
        ..Default::default()
    });
}

/// Env, envFrom, volumes and mounts from config, uses and volumes.
#[derive(Default)]
struct Wiring {
    env: Vec<EnvVar>,
    env_from: Vec<EnvFromSource>,
    volumes: Vec<Volume>,
    mounts: Vec<VolumeMount>,
    claim_templates: Vec<PersistentVolumeClaim>,
    configs: Vec<(String, String)>,
}

fn key_ref(config_map: bool, name: &str, key: &str) -> EnvVarSource {
    if config_map {
        EnvVarSource {
            config_map_key_ref: Some(ConfigMapKeySelector {
                name: name.into(),
                key: key.into(),
                ..Default::default()
            }),
            ..Default::default()
        }
    } else {
        EnvVarSource {
            secret_key_ref: Some(SecretKeySelector {
                name: name.into(),
                key: key.into(),
                ..Default::default()
            }),
            ..Default::default()
        }
    }
}

fn wiring(x: &Expansion<'_>, app: &App) -> Wiring {
    let mut w = Wiring::default();
    for (name, value) in &app.env {
        w.env.push(EnvVar {
            name: name.clone(),
            value: Some(value.clone()),
            ..Default::default()
        });
    }
    if let Some(config) = &app.config {
        let name = app_config_name(app);
        w.configs.push((app.namespace.clone(), name.clone()));
        if !config.env.is_empty() {
            if config.files.is_empty() {
                let prefix = (!config.env_prefix.is_empty()).then(|| config.env_prefix.clone());
                w.env_from.push(EnvFromSource {
                    config_map_ref: Some(ConfigMapEnvSource {
                        name: name.clone(),
                        ..Default::default()
                    }),
                    prefix,
                    ..Default::default()
                });
            } else {
                // The ConfigMap also holds files, whose keys are not env var names: pick the
                // env keys one by one instead of importing everything.
                for key in config.env.keys() {
                    w.env.push(EnvVar {
                        name: format!("{}{key}", config.env_prefix),
                        value_from: Some(key_ref(true, &name, key)),
                        ..Default::default()
                    });
                }
            }
        }
        if let (Some(path), false) = (&config.mount_path, config.files.is_empty()) {
            let items = config
                .files
                .keys()
                .map(|k| KeyToPath {
                    key: k.clone(),
                    path: k.clone(),
                    mode: None,
                })
                .collect();
            w.volumes.push(Volume {
                name: CONFIG_VOLUME.into(),
                config_map: Some(ConfigMapVolumeSource {
                    name: name.clone(),
                    items: Some(items),
                    ..Default::default()
                }),
                ..Default::default()
            });
            w.mounts.push(VolumeMount {
                name: CONFIG_VOLUME.into(),
                mount_path: path.clone(),
                read_only: Some(true),
                ..Default::default()
            });
        }
    }
    if !app.secret_env.is_empty() {
        let name = format!("{}-secret", app.name);
        for key in app.secret_env.keys() {
            w.env.push(EnvVar {
                name: key.clone(),
                value_from: Some(key_ref(false, &name, key)),
                ..Default::default()
            });
        }
    }
    for used in &app.uses {
        let Some(target) = used.target() else {
            continue;
        };
        let is_config_map = used.config_map.is_some();
        if is_config_map {
            w.configs.push((app.namespace.clone(), target.to_owned()));
        }
        for (var, key) in &used.env {
            w.env.push(EnvVar {
                name: var.clone(),
                value_from: Some(key_ref(is_config_map, target, key)),
                ..Default::default()
            });
        }
        if let Some(path) = &used.mount_path {
            let volume_name = format!("{}-{target}", if is_config_map { "cm" } else { "secret" });
            let items = non_empty_vec(
                used.items
                    .iter()
                    .map(|k| KeyToPath {
                        key: k.clone(),
                        path: k.clone(),
                        mode: None,
                    })
                    .collect(),
            );
            let mut volume = Volume {
                name: volume_name.clone(),
                ..Default::default()
            };
            if is_config_map {
                volume.config_map = Some(ConfigMapVolumeSource {
                    name: target.into(),
                    items,
                    ..Default::default()
                });
            } else {
                volume.secret = Some(SecretVolumeSource {
                    secret_name: Some(target.into()),
                    items,
                    ..Default::default()
                });
            }
            w.volumes.push(volume);
            w.mounts.push(VolumeMount {
                name: volume_name,
                mount_path: path.clone(),
                read_only: Some(true),
                ..Default::default()
            });
        }
        if used.env.is_empty() && used.mount_path.is_none() {
            w.env_from.push(EnvFromSource {
                config_map_ref: is_config_map.then(|| ConfigMapEnvSource {
                    name: target.into(),
                    ..Default::default()
                }),
                secret_ref: (!is_config_map).then(|| SecretEnvSource {
                    name: target.into(),
                    ..Default::default()
                }),
                prefix: used.env_prefix.clone(),
            });
        }
    }
    for volume in &app.volumes {
        w.mounts.push(VolumeMount {
            name: volume.name.clone(),
            mount_path: volume.mount_path.clone(),
            read_only: volume.read_only.then_some(true),
            sub_path: volume.sub_path.clone(),
            ..Default::default()
        });
        let mut pod_volume = Volume {
            name: volume.name.clone(),
            ..Default::default()
        };
        if let Some(size) = &volume.size {
            if app.workload == Workload::StatefulSet {
                w.claim_templates.push(PersistentVolumeClaim {
                    metadata: ObjectMeta {
                        name: Some(volume.name.clone()),
                        labels: Some(x.labels.selector(&app.name)),
                        ..Default::default()
                    },
                    spec: Some(claim_spec(
                        &size.0,
                        volume.storage_class.as_deref(),
                        &volume.access_modes,
                        None,
                    )),
                    ..Default::default()
                });
                continue;
            }
            pod_volume.persistent_volume_claim = Some(PersistentVolumeClaimVolumeSource {
                claim_name: format!("{}-{}", app.name, volume.name),
                read_only: None,
            });
        }
        if let Some(claim) = &volume.claim {
            pod_volume.persistent_volume_claim = Some(PersistentVolumeClaimVolumeSource {
                claim_name: claim.clone(),
                read_only: None,
            });
        }
        if let Some(path) = &volume.host_path {
            pod_volume.host_path = Some(HostPathVolumeSource {
                path: path.clone(),
                type_: None,
            });
        }
        if let Some(empty_dir) = &volume.empty_dir {
            pod_volume.empty_dir = Some(EmptyDirVolumeSource {
                medium: empty_dir.medium.clone(),
                size_limit: empty_dir.size_limit.as_ref().map(|q| Quantity(q.0.clone())),
            });
        }
        if !volume.downward_api.is_empty() {
            let items = volume
                .downward_api
                .iter()
                .map(|field| {
                    let (path, field_path) = match field {
                        DownwardField::Labels => ("labels", "metadata.labels"),
                        DownwardField::Annotations => ("annotations", "metadata.annotations"),
                        DownwardField::Name => ("name", "metadata.name"),
                        DownwardField::Namespace => ("namespace", "metadata.namespace"),
                    };
                    DownwardAPIVolumeFile {
                        path: path.into(),
                        field_ref: Some(ObjectFieldSelector {
                            field_path: field_path.into(),
                            api_version: None,
                        }),
                        ..Default::default()
                    }
                })
                .collect();
            pod_volume.downward_api = Some(DownwardAPIVolumeSource {
                items: Some(items),
                ..Default::default()
            });
        }
        w.volumes.push(pod_volume);
    }
    w
}

fn pod_template(x: &Expansion<'_>, app: &App, wiring: &mut Wiring) -> PodTemplateSpec {
    let (container_security, pod_security) = security(app);
    writable_tmp(app, container_security.as_ref(), wiring);
    let ports = app
        .ports
        .iter()
        .map(|p| ContainerPort {
            name: p.name.clone(),
            container_port: i32::from(p.port),
            protocol: Some(p.protocol.as_str().to_owned()),
            ..Default::default()
        })
        .collect();
    let probes = app.probes.clone().unwrap_or_default();
    let container = Container {
        name: app.name.clone(),
        image: Some(app.image.clone()),
        image_pull_policy: app.image_pull_policy.map(|p| format!("{p:?}")),
        command: non_empty_vec(app.command.clone()),
        args: non_empty_vec(app.args.clone()),
        ports: non_empty_vec(ports),
        env: non_empty_vec(std::mem::take(&mut wiring.env)),
        env_from: non_empty_vec(std::mem::take(&mut wiring.env_from)),
        volume_mounts: non_empty_vec(std::mem::take(&mut wiring.mounts)),
        resources: app.resources.as_ref().map(|r| ResourceRequirements {
            requests: quantities(&r.requests),
            limits: quantities(&r.limits),
            ..Default::default()
        }),
        startup_probe: probes.startup.as_ref().map(|p| probe(app, p)),
        liveness_probe: probes.liveness.as_ref().map(|p| probe(app, p)),
        readiness_probe: probes.readiness.as_ref().map(|p| probe(app, p)),
        security_context: container_security,
        ..Default::default()
    };
    let mut tolerations: Vec<Toleration> = app
        .tolerations
        .iter()
        .map(|t| Toleration {
            key: t.key.clone(),
            operator: t.operator.map(|o| format!("{o:?}")),
            value: t.value.clone(),
            effect: t.effect.map(|e| format!("{e:?}")),
            toleration_seconds: t.toleration_seconds,
        })
        .collect();
    if app.run_on_control_plane {
        tolerations.push(Toleration {
            key: Some(CONTROL_PLANE_TAINT.into()),
            operator: Some("Exists".into()),
            effect: Some("NoSchedule".into()),
            ..Default::default()
        });
    }
    let mut annotations = app.pod_annotations.clone();
    let configs: Vec<&BTreeMap<String, String>> = wiring
        .configs
        .iter()
        .filter_map(|key| x.configs.get(key))
        .collect();
    if !configs.is_empty() {
        annotations.insert(CONFIG_CHECKSUM.into(), checksum(configs));
    }
    let restart_policy = match (app.workload, app.job.as_ref().map(|j| j.restart_policy)) {
        (Workload::Job | Workload::CronJob, Some(bp::JobRestartPolicy::Never)) => {
            Some("Never".to_owned())
        }
        (Workload::Job | Workload::CronJob, _) => Some("OnFailure".to_owned()),
        _ => None,
    };
    PodTemplateSpec {
        metadata: Some(ObjectMeta {
            labels: Some(x.labels.all(&app.name)),
            annotations: non_empty(annotations),
            ..Default::default()
        }),
        spec: Some(PodSpec {
            containers: vec![container],
            volumes: non_empty_vec(std::mem::take(&mut wiring.volumes)),
            service_account_name: app.rbac.is_some().then(|| app.name.clone()),
            host_network: app.host_network.then_some(true),
            host_pid: app.host_pid.then_some(true),
            host_ipc: app.host_ipc.then_some(true),
            node_selector: non_empty(app.node_selector.clone()),
            tolerations: non_empty_vec(tolerations),
            security_context: pod_security,
            restart_policy,
            ..Default::default()
        }),
    }
}

pub(super) fn expand(x: &mut Expansion<'_>, index: usize) {
    let loaded = x.loaded;
    let app = &loaded.blueprint.spec.apps[index];
    let origin = format!("/spec/apps/{index}");
    let mut wiring = wiring(x, app);
    let template = pod_template(x, app, &mut wiring);
    let mut meta = x.labels.meta(&app.name, Some(&app.namespace), &app.name);
    let mut annotations = BTreeMap::new();
    if let Some(cause) = &app.change_cause {
        annotations.insert(CHANGE_CAUSE.to_owned(), cause.clone());
    }
    if let Some(sc) = app
        .security_context
        .as_ref()
        .filter(|sc| sc.level() > PodSecurityLevel::Restricted)
    {
        annotations.insert(POD_SECURITY.to_owned(), sc.level().as_str().to_owned());
        if let Some(reason) = &sc.reason {
            annotations.insert(POD_SECURITY_REASON.to_owned(), reason.trim().to_owned());
        }
    }
    meta.annotations = non_empty(annotations);
    let selector = x.labels.label_selector(&app.name);
    // An autoscaled workload leaves `replicas` to the HPA, or every sync would undo scaling.
    let replicas = if app.autoscale.is_some() {
        None
    } else {
        app.replicas
    };
    let strategy = app.strategy.clone().unwrap_or_default();
    let namespace = Some(app.namespace.as_str());
    match app.workload {
        Workload::Deployment => {
            let kind = match strategy.kind {
                Some(StrategyType::Recreate) => "Recreate",
                _ => "RollingUpdate",
            };
            let rolling = (strategy.max_surge.is_some() || strategy.max_unavailable.is_some())
                .then(|| RollingUpdateDeployment {
                    max_surge: strategy.max_surge.as_ref().map(int_or_percent),
                    max_unavailable: strategy.max_unavailable.as_ref().map(int_or_percent),
                });
            let object = Deployment {
                metadata: meta,
                spec: Some(DeploymentSpec {
                    replicas,
                    selector,
                    template,
                    min_ready_seconds: strategy.min_ready_seconds,
                    strategy: Some(DeploymentStrategy {
                        type_: Some(kind.into()),
                        rolling_update: rolling,
                    }),
                    ..Default::default()
                }),
                ..Default::default()
            };
            x.push(&object, &app.name, namespace, &origin);
        }
        Workload::StatefulSet => {
            let update = StatefulSetUpdateStrategy {
                type_: Some(update_type(&strategy)),
                rolling_update: strategy.max_unavailable.as_ref().map(|m| {
                    RollingUpdateStatefulSetStrategy {
                        max_unavailable: Some(int_or_percent(m)),
                        partition: None,
                    }
                }),
            };
            let object = StatefulSet {
                metadata: meta,
                spec: Some(StatefulSetSpec {
                    replicas,
                    selector,
                    service_name: Some(governing_service(app)),
                    template,
                    min_ready_seconds: strategy.min_ready_seconds,
                    update_strategy: Some(update),
                    volume_claim_templates: non_empty_vec(std::mem::take(
                        &mut wiring.claim_templates,
                    )),
                    ..Default::default()
                }),
                ..Default::default()
            };
            x.push(&object, &app.name, namespace, &origin);
        }
        Workload::DaemonSet => {
            let update = DaemonSetUpdateStrategy {
                type_: Some(update_type(&strategy)),
                rolling_update: strategy
                    .max_unavailable
                    .as_ref()
                    .map(|m| RollingUpdateDaemonSet {
                        max_unavailable: Some(int_or_percent(m)),
                        max_surge: None,
                    }),
            };
            let object = DaemonSet {
                metadata: meta,
                spec: Some(DaemonSetSpec {
                    selector,
                    template,
                    min_ready_seconds: strategy.min_ready_seconds,
                    update_strategy: Some(update),
                    ..Default::default()
                }),
                ..Default::default()
            };
            x.push(&object, &app.name, namespace, &origin);
        }
        Workload::Job | Workload::CronJob => {
            let job = app.job.clone().unwrap_or_default();
            let spec = JobSpec {
                completions: job.completions,
                parallelism: job.parallelism,
                backoff_limit: job.backoff_limit,
                active_deadline_seconds: job.active_deadline_seconds,
                ttl_seconds_after_finished: job.ttl_seconds_after_finished,
                template,
                ..Default::default()
            };
            if app.workload == Workload::Job {
                x.push(
                    &Job {
                        metadata: meta,
                        spec: Some(spec),
                        ..Default::default()
                    },
                    &app.name,
                    namespace,
                    &origin,
                );
            } else {
                let object = CronJob {
                    metadata: meta,
                    spec: Some(CronJobSpec {
                        schedule: app.schedule.clone().unwrap_or_default(),
                        concurrency_policy: job.concurrency_policy.map(|c| format!("{c:?}")),
                        job_template: JobTemplateSpec {
                            metadata: Some(ObjectMeta {
                                labels: Some(x.labels.all(&app.name)),
                                ..Default::default()
                            }),
                            spec: Some(spec),
                        },
                        ..Default::default()
                    }),
                    ..Default::default()
                };
                x.push(&object, &app.name, namespace, &origin);
            }
        }
    }
}
