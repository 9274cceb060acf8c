//! Pod security: every app's pods meet the Pod Security Standards level it declares
//! (`restricted` unless `securityContext.profile` relaxes it, with a reason). A field that
//! needs a more permissive level than the app's is an error at that field: the namespace's
//! Pod Security admission, labelled from the same levels, would refuse the pod.

use super::Ctx;
use crate::load::blueprint::{App, PodSecurityLevel};

/// Capabilities the baseline level allows a container to add; `restricted` allows only
/// `NET_BIND_SERVICE` (Pod Security Standards, "Capabilities").
const BASELINE_CAPABILITIES: [&str; 13] = [
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

/// The least permissive level that allows adding `capability`.
pub fn capability_level(capability: &str) -> PodSecurityLevel {
    let name = capability.trim_start_matches("CAP_");
    if name == "NET_BIND_SERVICE" {
        PodSecurityLevel::Restricted
    } else if BASELINE_CAPABILITIES.contains(&name) {
        PodSecurityLevel::Baseline
    } else {
        PodSecurityLevel::Privileged
    }
}

/// What an app sets that needs more than `restricted`: (pointer, what, the level it needs).
pub fn needs(app: &App, at: &str) -> Vec<(String, String, PodSecurityLevel)> {
    use PodSecurityLevel::{Baseline, Privileged};
    let mut out = Vec::new();
    let mut need = |field: String, what: String, level| out.push((field, what, level));
    for (set, field) in [
        (app.host_network, "hostNetwork"),
        (app.host_pid, "hostPID"),
        (app.host_ipc, "hostIPC"),
    ] {
        if set {
            need(
                format!("{at}/{field}"),
                format!("`{field}: true`"),
                Privileged,
            );
        }
    }
    for (i, volume) in app.volumes.iter().enumerate() {
        if volume.host_path.is_some() {
            need(
                format!("{at}/volumes/{i}/hostPath"),
                format!("the hostPath volume `{}`", volume.name),
                Privileged,
            );
        }
    }
    let Some(sc) = &app.security_context else {
        return out;
    };
    let sc_at = format!("{at}/securityContext");
    if sc.privileged == Some(true) {
        need(
            format!("{sc_at}/privileged"),
            "`privileged: true`".into(),
            Privileged,
        );
    }
    if sc.allow_privilege_escalation == Some(true) {
        need(
            format!("{sc_at}/allowPrivilegeEscalation"),
            "`allowPrivilegeEscalation: true`".into(),
            Baseline,
        );
    }
    if sc.run_as_non_root == Some(false) {
        need(
            format!("{sc_at}/runAsNonRoot"),
            "`runAsNonRoot: false`".into(),
            Baseline,
        );
    }
    if sc.run_as_user == Some(0) {
        need(
            format!("{sc_at}/runAsUser"),
            "`runAsUser: 0` (root)".into(),
            Baseline,
        );
    }
    for (i, capability) in sc
        .capabilities
        .iter()
        .flat_map(|c| c.add.iter())
        .enumerate()
    {
        let level = capability_level(capability);
        if level > PodSecurityLevel::Restricted {
            need(
                format!("{sc_at}/capabilities/add/{i}"),
                format!("adding the capability `{capability}`"),
                level,
            );
        }
    }
    out
}

pub(super) fn check(ctx: &mut Ctx<'_>) {
    let apps = &ctx.loaded.blueprint.spec.apps;
    for (i, app) in apps.iter().enumerate() {
        let at = format!("/spec/apps/{i}");
        let level = app.security_level();
        if let Some(sc) = &app.security_context {
            let reason = sc.reason.as_deref().map(str::trim).unwrap_or_default();
            if level > PodSecurityLevel::Restricted && reason.is_empty() {
                ctx.error(
                    "missing-field",
                    &format!("{at}/securityContext/profile"),
                    format!(
                        "`profile: {}` relaxes the app's pod security and needs a `reason`",
                        level.as_str()
                    ),
                    "why?",
                )
                .help = Some(
                    "add `reason: \"...\"` beside `profile`: it is kept on the workload for reviewers"
                        .into(),
                );
            }
            if level == PodSecurityLevel::Restricted && sc.reason.is_some() {
                ctx.ignored(
                    &format!("{at}/securityContext/reason"),
                    "`reason` has no effect: the app keeps the `restricted` profile".into(),
                    "nothing relaxed",
                );
            }
        }
        for (pointer, what, needed) in needs(app, &at) {
            if needed <= level {
                continue;
            }
            ctx.error_at_key(
                "pod-security",
                &pointer,
                format!(
                    "{what} needs the `{}` pod security profile; app `{}` has `{}`",
                    needed.as_str(),
                    app.name,
                    level.as_str()
                ),
                "not allowed at this level",
            )
            .help = Some(format!(
                "remove it, or relax the app: `securityContext: {{profile: {}, reason: \"...\"}}` \
                 (its namespace's Pod Security labels follow)",
                needed.as_str()
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::check::testing::{check, findings, warnings};

    fn app(body: &str) -> String {
        format!("  apps:\n    - name: agent\n      image: busybox:1.36\n{body}")
    }

    #[test]
    fn restricted_apps_may_not_use_the_host_or_root() {
        check(
            &app(
                "      hostNetwork: true\n      volumes: [{name: logs, mountPath: /var/log, hostPath: /var/log}]\n",
            ),
            &[("pod-security", "9:7"), ("pod-security", "10:51")],
        );
        let spec = app("      securityContext: {runAsUser: 0, capabilities: {add: [SYS_ADMIN]}}\n");
        check(&spec, &[("pod-security", "9:25"), ("pod-security", "9:60")]);
        let found = findings(&spec);
        assert!(
            found[0].2.contains(
                "`runAsUser: 0` (root) needs the `baseline` pod security profile; app `agent` has `restricted`"
            ),
            "{found:#?}"
        );
        assert!(found[1].2.contains("`SYS_ADMIN` needs the `privileged`"));
    }

    #[test]
    fn a_relaxed_profile_allows_its_level_and_needs_a_reason() {
        check(
            &app(
                "      hostPID: true\n      securityContext: {profile: privileged, reason: reads host metrics}\n",
            ),
            &[],
        );
        // baseline is not enough for the host's namespaces.
        check(
            &app(
                "      hostPID: true\n      securityContext: {profile: baseline, reason: runs as root}\n",
            ),
            &[("pod-security", "9:7")],
        );
        check(
            &app("      securityContext: {profile: baseline}\n"),
            &[("missing-field", "9:34")],
        );
        check(
            &app("      securityContext: {profile: baseline, reason: \" \"}\n"),
            &[("missing-field", "9:34")],
        );
        // A capability restricted allows needs nothing.
        check(
            &app("      securityContext: {capabilities: {add: [NET_BIND_SERVICE]}}\n"),
            &[],
        );
    }

    #[test]
    fn a_reason_without_a_relaxed_profile_is_a_warning() {
        let found = warnings(&app("      securityContext: {reason: just in case}\n"));
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(found[0].0, "ignored-field");
        assert_eq!(found[0].1, "9:25");
    }
}
