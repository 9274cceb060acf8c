//! A pod spec as the server's `ValidatePodSpec` judges it: unique container and volume
//! names, ports, volume mounts naming a volume, environment variable names, one probe
//! handler, quantities, and requests no larger than limits.

use std::collections::{BTreeMap, HashSet};

use serde_json::Value;

use super::meta::label_problems;
use super::{Report, items, join, text};
use crate::load::quantity::parse_quantity;

/// The server's message for a string that is not a quantity (raised while decoding).
pub(crate) const QUANTITY: &str =
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
const ENV_NAME: &str = "a valid environment variable name must consist only of printable ASCII characters other than '='";
const PORT_RANGE: &str = "must be between 1 and 65535, inclusive";
/// The fields of a probe that name its handler.
const HANDLERS: [&str; 4] = ["exec", "httpGet", "tcpSocket", "grpc"];

/// A quantity's value, or `None` with a finding when it is not one.
fn quantity(report: &mut Report, pointer: &str, value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => {
            let parsed = parse_quantity(s);
            if parsed.is_none() {
                report.invalid(pointer, value, QUANTITY);
            }
            parsed
        }
        _ => None,
    }
}

/// Every value of a `resource name: quantity` map.
pub(crate) fn quantities(report: &mut Report, pointer: &str, map: Option<&Value>) {
    let Some(map) = map.and_then(Value::as_object) else {
        return;
    };
    for (name, value) in map {
        quantity(report, &join(pointer, name), value);
    }
}

/// The values of a resource list, each checked; invalid ones are left out.
fn resource_list(report: &mut Report, pointer: &str, map: Option<&Value>) -> BTreeMap<String, f64> {
    let mut out = BTreeMap::new();
    let Some(map) = map.and_then(Value::as_object) else {
        return out;
    };
    for (name, value) in map {
        let at = join(pointer, name);
        if let Some(amount) = quantity(report, &at, value) {
            if amount < 0.0 {
                report.invalid(&at, value, "must be greater than or equal to 0");
            }
            out.insert(name.clone(), amount);
        }
    }
    out
}

/// `resources`: quantities, and each request no larger than its limit.
fn resources(report: &mut Report, pointer: &str, resources: &Value) {
    let requests_at = format!("{pointer}/requests");
    let limits_at = format!("{pointer}/limits");
    let requests = resource_list(report, &requests_at, resources.get("requests"));
    let limits = resource_list(report, &limits_at, resources.get("limits"));
    for (name, request) in &requests {
        if let Some(limit) = limits.get(name)
            && request > limit
        {
            let shown = &resources["requests"][name];
            let limit_text = match &resources["limits"][name] {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            report.invalid(
                &join(&requests_at, name),
                shown,
                &format!("must be less than or equal to {name} limit of {limit_text}"),
            );
        }
    }
}

/// A port number field: 1..=65535.
fn port_number(report: &mut Report, pointer: &str, value: Option<&Value>, required: bool) {
    match value.and_then(Value::as_i64) {
        Some(0) | None if required => report.required(pointer, None),
        Some(n) if n != 0 && !(1..=65535).contains(&n) => {
            report.invalid(pointer, &Value::from(n), PORT_RANGE);
        }
        _ => {}
    }
}

/// Why `name` is not an IANA service name (`IsValidPortName`), in the server's words.
pub(crate) fn port_name_problems(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    if name.len() > 15 {
        out.push("must be no more than 15 characters".to_owned());
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        out.push(
            "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)".to_owned(),
        );
    }
    if name.contains("--") {
        out.push("must not contain consecutive hyphens".to_owned());
    }
    if !name.bytes().any(|b| b.is_ascii_lowercase()) {
        out.push("must contain at least one letter (a-z)".to_owned());
    }
    if name.starts_with('-') || name.ends_with('-') {
        out.push("must not begin or end with a hyphen".to_owned());
    }
    out
}

/// A named port: an IANA service name, or a number in range (`targetPort`, probe ports).
pub(crate) fn int_or_port_name(report: &mut Report, pointer: &str, value: Option<&Value>) {
    match value {
        Some(Value::String(name)) => {
            report.invalid_all(pointer, name, port_name_problems(name));
        }
        Some(number @ Value::Number(_)) => port_number(report, pointer, Some(number), false),
        _ => {}
    }
}

fn probe(report: &mut Report, pointer: &str, probe: &Value, one_success: bool) {
    let handlers: Vec<&str> = HANDLERS
        .into_iter()
        .filter(|h| probe.get(*h).is_some_and(|v| !v.is_null()))
        .collect();
    match handlers.as_slice() {
        [] => report.required(pointer, Some("must specify a handler type")),
        [_] => {}
        [_, second, ..] => report.forbidden(
            &join(pointer, second),
            "may not specify more than 1 handler type",
        ),
    }
    for (handler, field) in [("httpGet", "port"), ("tcpSocket", "port")] {
        let at = format!("{pointer}/{handler}/{field}");
        int_or_port_name(report, &at, probe.pointer(&format!("/{handler}/{field}")));
    }
    if one_success
        && let Some(n) = probe.get("successThreshold").and_then(Value::as_i64)
        && n != 1
    {
        report.invalid(
            &format!("{pointer}/successThreshold"),
            &Value::from(n),
            "must be 1",
        );
    }
}

fn container(report: &mut Report, pointer: &str, c: &Value, volumes: &HashSet<&str>) {
    let mut port_names = HashSet::new();
    for (i, port) in items(c, "ports").iter().enumerate() {
        let at = format!("{pointer}/ports/{i}");
        port_number(
            report,
            &format!("{at}/containerPort"),
            port.get("containerPort"),
            true,
        );
        port_number(
            report,
            &format!("{at}/hostPort"),
            port.get("hostPort"),
            false,
        );
        if let Some(name) = text(port, "name") {
            report.invalid_all(&format!("{at}/name"), name, port_name_problems(name));
            if !port_names.insert(name) {
                report.duplicate(&format!("{at}/name"), &Value::String(name.to_owned()));
            }
        }
    }
    for (i, env) in items(c, "env").iter().enumerate() {
        let at = format!("{pointer}/env/{i}/name");
        match text(env, "name") {
            Some("") | None => report.required(&at, None),
            Some(name) => {
                if !name
                    .bytes()
                    .all(|b| (b' '..=b'~').contains(&b) && b != b'=')
                {
                    report.invalid_text(&at, name, ENV_NAME);
                }
            }
        }
    }
    let mut paths = HashSet::new();
    for (i, mount) in items(c, "volumeMounts").iter().enumerate() {
        let at = format!("{pointer}/volumeMounts/{i}");
        if let Some(name) = text(mount, "name")
            && !volumes.contains(name)
        {
            report.not_found(&format!("{at}/name"), &Value::String(name.to_owned()));
        }
        if let Some(path) = text(mount, "mountPath")
            && !paths.insert(path)
        {
            report.invalid_text(&format!("{at}/mountPath"), path, "must be unique");
        }
    }
    if let Some(r) = c.get("resources") {
        resources(report, &format!("{pointer}/resources"), r);
    }
    for (field, one_success) in [
        ("livenessProbe", true),
        ("readinessProbe", false),
        ("startupProbe", true),
    ] {
        if let Some(p) = c.get(field).filter(|p| p.is_object()) {
            probe(report, &format!("{pointer}/{field}"), p, one_success);
        }
    }
}

/// A pod spec at `pointer`; `claims` are the names of a StatefulSet's
/// `volumeClaimTemplates`, which its containers mount like volumes.
pub(crate) fn pod_spec(report: &mut Report, pointer: &str, spec: &Value, claims: &[&str]) {
    let mut volumes: HashSet<&str> = claims.iter().copied().collect();
    for (i, volume) in items(spec, "volumes").iter().enumerate() {
        let Some(name) = text(volume, "name") else {
            continue;
        };
        let at = format!("{pointer}/volumes/{i}/name");
        report.invalid_all(&at, name, label_problems(name));
        if !volumes.insert(name) {
            report.duplicate(&at, &Value::String(name.to_owned()));
        }
        if let Some(limit) = volume.pointer("/emptyDir/sizeLimit") {
            quantity(
                report,
                &format!("{pointer}/volumes/{i}/emptyDir/sizeLimit"),
                limit,
            );
        }
    }
    let mut names = HashSet::new();
    for field in ["initContainers", "containers"] {
        for (i, c) in items(spec, field).iter().enumerate() {
            let at = format!("{pointer}/{field}/{i}");
            if let Some(name) = text(c, "name") {
                report.invalid_all(&format!("{at}/name"), name, label_problems(name));
                if !names.insert(name) {
                    report.duplicate(&format!("{at}/name"), &Value::String(name.to_owned()));
                }
            }
            container(report, &at, c, &volumes);
        }
    }
    quantities(report, &format!("{pointer}/overhead"), spec.get("overhead"));
}
