//! Ingress references: each backend's Service and port (by number or name), each TLS Secret,
//! and the IngressClass.

use serde_json::Value;

use super::Ctx;
use crate::json::At;
use crate::model::namespace_of;
use crate::model::pods::{self, text};

const NETWORKING: &str = "networking.k8s.io";
/// Class names of ingress controllers kforge knows without an IngressClass object in the set
/// (the ingress-nginx add-on creates `nginx`).
pub const KNOWN_CLASSES: [&str; 1] = ["nginx"];
/// Annotations with which cert-manager issues the TLS Secret itself.
const CERT_MANAGER: [&str; 2] = ["cert-manager.io/cluster-issuer", "cert-manager.io/issuer"];

pub(super) fn check(cx: &mut Ctx<'_, '_>) {
    for (i, object) in cx.each() {
        if (
            crate::model::group(&object.api_version),
            object.kind.as_str(),
        ) != (NETWORKING, "Ingress")
        {
            continue;
        }
        let namespace = namespace_of(object);
        let body = &object.body;
        let mut backends = Vec::new();
        if let Some(backend) = body.at("/spec/defaultBackend") {
            backends.push((backend, "/spec/defaultBackend".to_owned()));
        }
        let rules = body
            .at("/spec/rules")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        for (r, rule) in rules.iter().enumerate() {
            let paths = rule
                .at("/http/paths")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or_default();
            for (p, path) in paths.iter().enumerate() {
                if let Some(backend) = path.get("backend") {
                    backends.push((backend, format!("/spec/rules/{r}/http/paths/{p}/backend")));
                }
            }
        }
        for (backend, pointer) in backends {
            service_backend(cx, i, namespace, backend, &pointer);
        }
        let issued = CERT_MANAGER
            .iter()
            .any(|a| pods::annotations(object).contains_key(a));
        let tls = body
            .at("/spec/tls")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        for (t, entry) in tls.iter().enumerate() {
            let Some(secret) = text(entry, "/secretName") else {
                continue;
            };
            if !issued && cx.index.get("", "Secret", namespace, secret).is_none() {
                cx.missing_object(
                    i,
                    format!("/spec/tls/{t}/secretName"),
                    "",
                    "Secret",
                    namespace,
                    secret,
                );
            }
        }
        if let Some(class) = text(body, "/spec/ingressClassName") {
            let known = KNOWN_CLASSES.contains(&class)
                || cx
                    .index
                    .get(NETWORKING, "IngressClass", "", class)
                    .is_some();
            if !known {
                cx.missing_object(
                    i,
                    "/spec/ingressClassName".into(),
                    NETWORKING,
                    "IngressClass",
                    "",
                    class,
                );
            }
        }
    }
}

fn service_backend(
    cx: &mut Ctx<'_, '_>,
    i: usize,
    namespace: &str,
    backend: &Value,
    pointer: &str,
) {
    let Some(name) = text(backend, "/service/name") else {
        return;
    };
    let Some(service) = cx.index.get("", "Service", namespace, name) else {
        let namespace = namespace_of(&cx.objects()[i]);
        cx.missing_object(
            i,
            format!("{pointer}/service/name"),
            "",
            "Service",
            namespace,
            name,
        );
        return;
    };
    let ports = service
        .body
        .at("/spec/ports")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let (wanted, found, field) =
        if let Some(number) = backend.at("/service/port/number").and_then(Value::as_i64) {
            let found = ports
                .iter()
                .any(|p| p.get("port").and_then(Value::as_i64) == Some(number));
            (number.to_string(), found, "number")
        } else if let Some(port) = text(backend, "/service/port/name") {
            let found = ports.iter().any(|p| text(p, "/name") == Some(port));
            (format!("`{port}`"), found, "name")
        } else {
            return;
        };
    if !found {
        let offered: Vec<String> = ports
            .iter()
            .map(
                |p| match (text(p, "/name"), p.get("port").and_then(Value::as_i64)) {
                    (Some(n), Some(port)) => format!("{n} ({port})"),
                    (None, Some(port)) => port.to_string(),
                    _ => "?".to_owned(),
                },
            )
            .collect();
        cx.wrong(
            i,
            format!("{pointer}/service/port/{field}"),
            format!("Service `{name}` has no port {wanted}"),
            if offered.is_empty() {
                "the Service has no ports".to_owned()
            } else {
                format!("its ports: {}", offered.join(", "))
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{messages, run};

    const SERVICE: &str = "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: web}\nspec: {ports: [{name: http, port: 80}]}\n";

    fn ingress(spec: &str) -> String {
        format!(
            "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {{name: web, namespace: web}}\nspec:\n{spec}"
        )
    }

    fn backend(service: &str, port: &str) -> String {
        ingress(&format!(
            "  rules:\n  - host: a\n    http:\n      paths:\n      - {{path: /, pathType: Prefix, backend: {{service: {{name: {service}, port: {port}}}}}}}\n"
        ))
    }

    #[test]
    fn backend_service_and_port() {
        assert!(messages(&format!("{SERVICE}---\n{}", backend("web", "{name: http}"))).is_empty());
        assert!(messages(&format!("{SERVICE}---\n{}", backend("web", "{number: 80}"))).is_empty());
        assert_eq!(
            messages(&format!(
                "{SERVICE}---\n{}",
                backend("web", "{number: 8080}")
            )),
            ["Service `web` has no port 8080"]
        );
        assert_eq!(
            messages(&format!(
                "{SERVICE}---\n{}",
                backend("web", "{name: https}")
            )),
            ["Service `web` has no port `https`"]
        );
        assert_eq!(
            messages(&format!("{SERVICE}---\n{}", backend("wbe", "{number: 80}"))),
            ["Service `wbe` does not exist in namespace `web`"]
        );
    }

    #[test]
    fn tls_secret_unless_cert_manager_issues_it() {
        let tls = ingress("  tls: [{secretName: web-tls}]\n");
        assert_eq!(
            run(&tls, true)[0].3,
            "Secret `web-tls` does not exist in namespace `web`"
        );
        assert_eq!(run(&tls, true)[0].0, "error");
        let issued = tls.replace(
            "metadata: {name: web, namespace: web}",
            "metadata: {name: web, namespace: web, annotations: {cert-manager.io/cluster-issuer: ca}}",
        );
        assert!(messages(&issued).is_empty());
        let secret = "apiVersion: v1\nkind: Secret\nmetadata: {name: web-tls, namespace: web}\ntype: kubernetes.io/tls\n";
        assert!(messages(&format!("{secret}---\n{tls}")).is_empty());
    }

    #[test]
    fn ingress_class() {
        assert!(messages(&ingress("  ingressClassName: nginx\n")).is_empty());
        assert_eq!(
            messages(&ingress("  ingressClassName: traefik\n")),
            ["IngressClass `traefik` does not exist"]
        );
        let class = "apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata: {name: traefik}\nspec: {controller: traefik.io/ingress-controller}\n";
        assert!(
            messages(&format!(
                "{class}---\n{}",
                ingress("  ingressClassName: traefik\n")
            ))
            .is_empty()
        );
    }
}
