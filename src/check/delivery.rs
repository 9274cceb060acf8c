//! Delivery: the fields Flux or Argo CD would reject or misread — durations, the repository
//! URL, the branch name, names and namespaces of the GitOps objects, the Argo CD destination.
//! Whether an environment with Secrets names a decryption Secret depends on the objects
//! (raw resources may hold Secrets), so `delivery` decides that after expansion.

use super::{Ctx, exactly_one};
use crate::load::blueprint::Delivery;
use crate::model::names::{NameRule, name_problem};

pub(super) fn check(ctx: &mut Ctx<'_>) {
    let Some(delivery) = ctx.loaded.blueprint.spec.delivery.clone() else {
        return;
    };
    repo_url(ctx, &delivery.repo_url);
    if let Some(problem) = branch_problem(&delivery.branch) {
        ctx.error(
            "invalid-branch",
            "/spec/delivery/branch",
            format!(
                "`{}` is not a valid branch name: {problem}",
                delivery.branch
            ),
            "invalid branch",
        )
        .help = Some(
            "use a name `git check-ref-format --branch` accepts, e.g. `main` or `release/1.2`"
                .into(),
        );
    }
    check_flux(ctx, &delivery);
    check_argocd(ctx, &delivery);
}

fn check_flux(ctx: &mut Ctx<'_>, delivery: &Delivery) {
    let Some(flux) = &delivery.flux else {
        return;
    };
    for (field, value) in [("interval", &flux.interval), ("timeout", &flux.timeout)] {
        if let Some(value) = value.as_deref().filter(|v| !is_duration(v)) {
            ctx.error(
                "invalid-duration",
                &format!("/spec/delivery/flux/{field}"),
                format!("`{value}` is not a duration Flux accepts"),
                "not a duration",
            )
            .help = Some(
                "write a Go duration of numbers with units ms, s, m or h, e.g. `30s`, `5m` or `1h30m`"
                    .into(),
            );
        }
    }
    names(
        ctx,
        "/spec/delivery/flux",
        &[
            ("gitSecret", &flux.git_secret, NameRule::Subdomain),
            (
                "decryptionSecret",
                &flux.decryption_secret,
                NameRule::Subdomain,
            ),
            ("namespace", &flux.namespace, NameRule::Label),
        ],
    );
}

fn check_argocd(ctx: &mut Ctx<'_>, delivery: &Delivery) {
    let Some(argocd) = &delivery.argocd else {
        return;
    };
    names(
        ctx,
        "/spec/delivery/argocd",
        &[
            ("project", &argocd.project, NameRule::Subdomain),
            ("namespace", &argocd.namespace, NameRule::Label),
        ],
    );
    let Some(destination) = &argocd.destination else {
        return;
    };
    exactly_one(
        ctx,
        "/spec/delivery/argocd/destination",
        "an Argo CD destination",
        &[
            ("server", destination.server.is_some()),
            ("name", destination.name.is_some()),
        ],
    );
    if let Some(server) = destination.server.as_deref() {
        let host = server
            .strip_prefix("https://")
            .or_else(|| server.strip_prefix("http://"));
        if host.is_none_or(|h| h.is_empty() || h.contains(char::is_whitespace)) {
            ctx.error(
                "invalid-destination",
                "/spec/delivery/argocd/destination/server",
                format!("`{server}` is not the URL of a Kubernetes API server"),
                "not an https:// URL",
            )
            .help = Some("e.g. `https://kubernetes.default.svc` for the cluster Argo CD runs in, or set `name` instead".into());
        }
    }
    names(
        ctx,
        "/spec/delivery/argocd/destination",
        &[("namespace", &destination.namespace, NameRule::Label)],
    );
}

/// Each of `fields` (name under `parent`, value, rule) that is set must be a valid name.
fn names(ctx: &mut Ctx<'_>, parent: &str, fields: &[(&str, &Option<String>, NameRule)]) {
    for (field, value, rule) in fields {
        let Some(value) = value.as_deref() else {
            continue;
        };
        if let Some(problem) = name_problem(value, *rule) {
            ctx.error(
                "invalid-name",
                &format!("{parent}/{field}"),
                problem,
                "invalid name",
            )
            .help = Some("Kubernetes rejects this name; e.g. `flux-system`".to_owned());
        }
    }
}

fn repo_url(ctx: &mut Ctx<'_>, url: &str) {
    let Some((message, help)) = repo_url_problem(url) else {
        return;
    };
    ctx.error(
        "invalid-repo-url",
        "/spec/delivery/repoURL",
        message,
        "not a Git URL Flux and Argo CD accept",
    )
    .help = Some(help);
}

/// Why Flux or Argo CD would not clone `url`: it must be `https://`, `http://` or `ssh://`
/// with a host (Flux's GitRepository accepts only these; the scp-like `git@host:path` that
/// Argo CD also takes is refused so that one URL works for both).
pub(crate) fn repo_url_problem(url: &str) -> Option<(String, String)> {
    let schemes = "write it as https://host/org/repo.git or ssh://git@host/org/repo.git";
    if url.contains(char::is_whitespace) {
        return Some((format!("`{url}` contains white space"), schemes.into()));
    }
    let rest = ["https://", "http://", "ssh://"]
        .iter()
        .find_map(|scheme| url.strip_prefix(scheme));
    let Some(rest) = rest else {
        if let Some((user_host, path)) = url.split_once(':')
            && !user_host.contains('/')
            && !path.starts_with("//")
            && user_host.contains('@')
        {
            return Some((
                format!("`{url}` is the scp-like form, which Flux does not accept"),
                format!(
                    "write it as `ssh://{user_host}/{}`",
                    path.trim_start_matches('/')
                ),
            ));
        }
        return Some((
            format!("`{url}` has no scheme: `repoURL` must start with https://, http:// or ssh://"),
            schemes.into(),
        ));
    };
    let authority = rest.split('/').next().unwrap_or_default();
    let host = authority.rsplit('@').next().unwrap_or_default();
    if host.is_empty() || host.starts_with(':') {
        return Some((format!("`{url}` names no host"), schemes.into()));
    }
    None
}

/// Whether `value` matches Flux's duration pattern `^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$`.
pub(crate) fn is_duration(value: &str) -> bool {
    let bytes = value.as_bytes();
    let mut i = 0;
    if bytes.is_empty() {
        return false;
    }
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < bytes.len() && bytes[*i].is_ascii_digit() {
            *i += 1;
        }
        *i > start
    };
    while i < bytes.len() {
        if !digits(&mut i) {
            return false;
        }
        if bytes.get(i) == Some(&b'.') {
            i += 1;
            if !digits(&mut i) {
                return false;
            }
        }
        match (bytes.get(i), bytes.get(i + 1)) {
            (Some(b'm'), Some(b's')) => i += 2,
            (Some(b's' | b'm' | b'h'), _) => i += 1,
            _ => return false,
        }
    }
    true
}

/// Why `branch` is not a valid branch name (`git check-ref-format --branch`), if it is not.
pub(crate) fn branch_problem(branch: &str) -> Option<&'static str> {
    if branch.is_empty() {
        return Some("it is empty");
    }
    if branch == "@" {
        return Some("`@` alone is not a branch");
    }
    if branch.starts_with('-') {
        return Some("it starts with `-`");
    }
    if branch.starts_with('/') || branch.ends_with('/') || branch.contains("//") {
        return Some("it has an empty `/`-separated part");
    }
    if branch.ends_with('.') {
        return Some("it ends with `.`");
    }
    if branch.contains("..") {
        return Some("it contains `..`");
    }
    if branch.contains("@{") {
        return Some("it contains `@{`");
    }
    if branch
        .chars()
        .any(|c| c.is_ascii_control() || c == ' ' || "~^:?*[\\".contains(c))
    {
        return Some("it contains white space, a control character or one of ~ ^ : ? * [ \\");
    }
    if branch
        .split('/')
        .any(|part| part.starts_with('.') || part.ends_with(".lock"))
    {
        return Some("a `/`-separated part starts with `.` or ends with `.lock`");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::{branch_problem, is_duration, repo_url_problem};
    use crate::check::testing::check;

    #[test]
    fn durations_follow_flux_pattern() {
        for good in ["5m", "1h30m", "30s", "100ms", "1.5h", "1m5s", "2h0m0s"] {
            assert!(is_duration(good), "{good}");
        }
        for bad in [
            "", "5", "m", "5 m", "1d", "1.h", ".5m", "5mm", "-1m", "5m ", "1hs",
        ] {
            assert!(!is_duration(bad), "{bad}");
        }
    }

    #[test]
    fn repo_urls_need_a_scheme_flux_accepts() {
        for good in [
            "https://git.example.com/org/repo.git",
            "http://gitea.local:3000/org/repo",
            "ssh://git@github.com/org/repo.git",
        ] {
            assert_eq!(repo_url_problem(good), None, "{good}");
        }
        let scp = repo_url_problem("git@github.com:org/repo.git").unwrap();
        assert!(
            scp.1.contains("ssh://git@github.com/org/repo.git"),
            "{scp:?}"
        );
        for bad in [
            "github.com/org/repo",
            "file:///srv/repo",
            "https://",
            "https:// x",
        ] {
            assert!(repo_url_problem(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn branch_names_follow_git_rules() {
        for good in ["main", "release/1.2", "feature-x", "v1.0"] {
            assert_eq!(branch_problem(good), None, "{good}");
        }
        for bad in [
            "", "a..b", "a b", "/a", "a/", "a//b", ".a", "a/.b", "a.lock", "a.", "a~1", "@",
            "a@{1}", "-a",
        ] {
            assert!(branch_problem(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn each_field_is_checked_at_its_line() {
        check(
            "  delivery:\n    repoURL: git.example.com/x.git\n    branch: a..b\n    flux: {interval: 5 minutes, timeout: 1d, namespace: Flux}\n    argocd:\n      destination: {namespace: web}\n",
            &[
                ("invalid-repo-url", "7:14"),
                ("invalid-branch", "8:13"),
                ("invalid-duration", "9:22"),
                ("invalid-duration", "9:42"),
                ("invalid-name", "9:57"),
                ("one-of", "11:7"),
            ],
        );
        check(
            "  delivery:\n    repoURL: ssh://git@example.com/x.git\n    argocd: {destination: {server: kubernetes.default.svc, name: in-cluster}}\n",
            &[("one-of", "8:14"), ("invalid-destination", "8:36")],
        );
        check(
            "  delivery:\n    repoURL: https://example.com/x.git\n    flux: {interval: 1m30s, timeout: 90s, decryptionSecret: sops-age}\n    argocd: {project: default, destination: {name: in-cluster}}\n",
            &[],
        );
    }
}
