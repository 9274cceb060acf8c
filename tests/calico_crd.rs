//! Holds the Calico policy models to the CRD schemas Calico itself ships, made strict so that a
//! misspelt or invented field in the Rust types fails here rather than at `kubectl apply`.
//!
//! The CRDs are pinned third-party data that `scripts/test.sh` fetches into
//! `target/third-party/calico/` (`scripts/lib/thirdparty.sh` names the version), so the tests
//! that read them are ignored by a plain `cargo test`. The pin is Calico v3.31.0's
//! `crd.projectcalico.org/v1` CRDs: generated from the same Go types as the
//! `projectcalico.org/v3` API kforge writes, with the same `spec` fields, but without the
//! enums, bounds and CEL rules of the v3 CRDs, which these tests therefore do not check.

use std::collections::BTreeMap;
use std::error::Error;
use std::path::PathBuf;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::{ClusterResourceScope, ListableResource, NamespaceResourceScope};
use kforge::model::calico::{
    Action, EntityRule, GlobalNetworkPolicy, GlobalNetworkPolicySpec, HttpMatch, HttpPath,
    IcmpMatch, IpVersion, NetworkPolicy, NetworkPolicySpec, PerformanceHint, PolicyType, Port,
    Protocol, Rule, RuleMetadata, ServiceAccountMatch, ServiceMatch,
};
use kforge::validate::{SchemaSet, Validator};
use serde_json::{Value, json};

mod common;

type TestResult = Result<(), Box<dyn Error>>;

const NETWORK_POLICIES: &str = "crd.projectcalico.org_networkpolicies.yaml";
const GLOBAL_NETWORK_POLICIES: &str = "crd.projectcalico.org_globalnetworkpolicies.yaml";

// A Calico upgrade is a new pin in scripts/lib/thirdparty.sh; nothing here names a version.
fn load_crd(file: &str) -> Result<Value, Box<dyn Error>> {
    let path: PathBuf = common::calico_crds().join(file);
    let text = std::fs::read_to_string(&path)
        .map_err(|error| format!("reading {}: {error}", path.display()))?;
    Ok(serde_yaml::from_str(&text)?)
}

/// The API version a Calico CRD serves the kforge types under: `v3` in the `projectcalico.org`
/// group, `v1` in the `crd.projectcalico.org` group (the same schema, stored by Calico itself).
fn calico_version(crd: &Value) -> &'static str {
    if crd["spec"]["group"] == json!("crd.projectcalico.org") {
        "v1"
    } else {
        "v3"
    }
}

fn served_schema(crd: &Value) -> Result<Value, Box<dyn Error>> {
    let versions = crd["spec"]["versions"]
        .as_array()
        .ok_or("CRD has no spec.versions")?;
    let wanted = calico_version(crd);
    let served = versions
        .iter()
        .find(|version| version["served"] == json!(true) && version["name"] == json!(wanted))
        .ok_or_else(|| format!("CRD serves no {wanted} version"))?;
    let schema = &served["schema"]["openAPIV3Schema"];
    if !schema.is_object() {
        return Err("served version has no openAPIV3Schema".into());
    }
    Ok(schema.clone())
}

/// Rewrites a structural OpenAPI v3 schema into JSON Schema. With `strict`, objects that list
/// their properties reject any other key, as the apiserver's pruning would silently drop them.
fn to_json_schema(node: &mut Value, strict: bool) {
    let Value::Object(map) = node else {
        return;
    };
    if map.get("x-kubernetes-int-or-string") == Some(&json!(true)) && !map.contains_key("anyOf") {
        map.insert(
            "anyOf".to_owned(),
            json!([{ "type": "integer" }, { "type": "string" }]),
        );
    }
    let keeps_unknown = map.get("x-kubernetes-preserve-unknown-fields") == Some(&json!(true));
    if map.remove("nullable") == Some(json!(true))
        && let Some(Value::String(ty)) = map.get("type").cloned()
    {
        map.insert("type".to_owned(), json!([ty, "null"]));
    }
    map.retain(|key, _| !key.starts_with("x-kubernetes-"));
    if strict
        && !keeps_unknown
        && map.contains_key("properties")
        && !map.contains_key("additionalProperties")
    {
        map.insert("additionalProperties".to_owned(), json!(false));
    }

    // Walk only the keywords that hold subschemas: `properties` is keyed by field names, and
    // Calico has fields called `type`, which must not be mistaken for the keyword.
    if let Some(Value::Object(properties)) = map.get_mut("properties") {
        for property in properties.values_mut() {
            to_json_schema(property, strict);
        }
    }
    for keyword in ["items", "additionalProperties", "not"] {
        if let Some(child) = map.get_mut(keyword) {
            to_json_schema(child, strict);
        }
    }
    for keyword in ["anyOf", "allOf", "oneOf"] {
        if let Some(Value::Array(children)) = map.get_mut(keyword) {
            for child in children {
                to_json_schema(child, strict);
            }
        }
    }
}

fn validator(file: &str, strict: bool) -> Result<jsonschema::Validator, Box<dyn Error>> {
    let mut schema = served_schema(&load_crd(file)?)?;
    to_json_schema(&mut schema, strict);
    // OpenAPI v3 schemas are draft-4 flavoured; say so rather than rely on the default draft.
    if let Value::Object(map) = &mut schema {
        map.insert(
            "$schema".to_owned(),
            json!("http://json-schema.org/draft-04/schema#"),
        );
    }
    Ok(jsonschema::validator_for(&schema)?)
}

fn errors(validator: &jsonschema::Validator, instance: &Value) -> Vec<String> {
    validator
        .iter_errors(instance)
        .map(|error| format!("at `{}`: {error}", error.instance_path()))
        .collect()
}

fn meta(name: &str, namespace: Option<&str>) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.to_owned()),
        namespace: namespace.map(str::to_owned),
        labels: Some(BTreeMap::from([(
            "app.kubernetes.io/managed-by".to_owned(),
            "kforge".to_owned(),
        )])),
        ..ObjectMeta::default()
    }
}

fn dns_rules() -> Vec<Rule> {
    [Protocol::Udp, Protocol::Tcp]
        .into_iter()
        .map(|protocol| Rule {
            protocol: Some(protocol),
            destination: EntityRule {
                selector: Some("k8s-app == 'kube-dns'".to_owned()),
                namespace_selector: Some("kubernetes.io/metadata.name == 'kube-system'".to_owned()),
                ports: vec![Port::Number(53)],
                ..EntityRule::default()
            },
            ..Rule::new(Action::Allow)
        })
        .collect()
}

fn web_selector() -> Option<String> {
    Some("app.kubernetes.io/name == 'web'".to_owned())
}

fn network_policies() -> Vec<NetworkPolicy> {
    vec![
        NetworkPolicy {
            metadata: meta("web-default-deny-ingress", Some("shop")),
            spec: NetworkPolicySpec {
                order: Some(1000.0),
                selector: web_selector(),
                types: vec![PolicyType::Ingress],
                ..NetworkPolicySpec::default()
            },
        },
        NetworkPolicy {
            metadata: meta("web-allow-frontend", Some("shop")),
            spec: NetworkPolicySpec {
                order: Some(100.0),
                tier: Some("default".to_owned()),
                selector: web_selector(),
                types: vec![PolicyType::Ingress],
                ingress: vec![Rule {
                    protocol: Some(Protocol::Tcp),
                    source: EntityRule {
                        selector: Some("app.kubernetes.io/name == 'frontend'".to_owned()),
                        ..EntityRule::default()
                    },
                    destination: EntityRule {
                        ports: vec![
                            Port::Number(80),
                            Port::from("http-alt"),
                            Port::range(8080, 8090),
                        ],
                        ..EntityRule::default()
                    },
                    ..Rule::new(Action::Allow)
                }],
                ..NetworkPolicySpec::default()
            },
        },
        NetworkPolicy {
            metadata: meta("web-allow-monitoring", Some("shop")),
            spec: NetworkPolicySpec {
                selector: web_selector(),
                types: vec![PolicyType::Ingress],
                ingress: vec![Rule {
                    protocol: Some(Protocol::Tcp),
                    source: EntityRule {
                        namespace_selector: Some(
                            "kubernetes.io/metadata.name == 'monitoring'".to_owned(),
                        ),
                        service_accounts: Some(ServiceAccountMatch {
                            names: vec!["prometheus-k8s".to_owned()],
                            selector: None,
                        }),
                        ..EntityRule::default()
                    },
                    destination: EntityRule {
                        ports: vec![Port::from("metrics")],
                        ..EntityRule::default()
                    },
                    ..Rule::new(Action::Allow)
                }],
                ..NetworkPolicySpec::default()
            },
        },
        NetworkPolicy {
            metadata: meta("web-allow-internal-cidr", Some("shop")),
            spec: NetworkPolicySpec {
                selector: web_selector(),
                types: vec![PolicyType::Ingress],
                ingress: vec![Rule {
                    protocol: Some(Protocol::Tcp),
                    ip_version: Some(IpVersion::V4),
                    source: EntityRule {
                        nets: vec!["10.0.0.0/8".to_owned()],
                        not_nets: vec!["10.96.0.0/12".to_owned()],
                        ..EntityRule::default()
                    },
                    destination: EntityRule {
                        ports: vec![Port::Number(443)],
                        ..EntityRule::default()
                    },
                    ..Rule::new(Action::Allow)
                }],
                ..NetworkPolicySpec::default()
            },
        },
        NetworkPolicy {
            metadata: meta("web-allow-egress", Some("shop")),
            spec: NetworkPolicySpec {
                selector: web_selector(),
                service_account_selector: Some("role == 'web'".to_owned()),
                types: vec![PolicyType::Egress],
                egress: dns_rules()
                    .into_iter()
                    .chain([Rule {
                        protocol: Some(Protocol::Tcp),
                        destination: EntityRule {
                            services: Some(ServiceMatch {
                                name: "kubernetes".to_owned(),
                                namespace: Some("default".to_owned()),
                            }),
                            ..EntityRule::default()
                        },
                        ..Rule::new(Action::Allow)
                    }])
                    .collect(),
                ..NetworkPolicySpec::default()
            },
        },
        // Fields kforge never emits but users write, so `kforge validate` must know them.
        NetworkPolicy {
            metadata: meta("api-l7", Some("shop")),
            spec: NetworkPolicySpec {
                selector: Some("app == 'api'".to_owned()),
                types: vec![PolicyType::Ingress, PolicyType::Egress],
                performance_hints: vec![PerformanceHint::AssumeNeededOnEveryNode],
                ingress: vec![
                    Rule {
                        protocol: Some(Protocol::Tcp),
                        http: Some(HttpMatch {
                            methods: vec!["GET".to_owned(), "HEAD".to_owned()],
                            paths: vec![
                                HttpPath::Exact("/healthz".to_owned()),
                                HttpPath::Prefix("/api/".to_owned()),
                            ],
                        }),
                        metadata: Some(RuleMetadata {
                            annotations: BTreeMap::from([(
                                "owner".to_owned(),
                                "payments".to_owned(),
                            )]),
                        }),
                        source: EntityRule {
                            service_accounts: Some(ServiceAccountMatch {
                                names: vec!["frontend".to_owned()],
                                selector: Some("tier == 'web'".to_owned()),
                            }),
                            not_selector: Some("quarantined == 'true'".to_owned()),
                            ..EntityRule::default()
                        },
                        destination: EntityRule {
                            not_ports: vec![Port::Number(9090)],
                            ..EntityRule::default()
                        },
                        ..Rule::new(Action::Allow)
                    },
                    Rule {
                        protocol: Some(Protocol::IcmpV6),
                        ip_version: Some(IpVersion::V6),
                        icmp: Some(IcmpMatch {
                            icmp_type: Some(128),
                            code: None,
                        }),
                        ..Rule::new(Action::Allow)
                    },
                ],
                egress: vec![Rule {
                    not_protocol: Some(Protocol::Number(47)),
                    ..Rule::new(Action::Log)
                }],
                ..NetworkPolicySpec::default()
            },
        },
    ]
}

fn global_network_policies() -> Vec<GlobalNetworkPolicy> {
    vec![
        GlobalNetworkPolicy {
            metadata: meta("default-deny", None),
            spec: GlobalNetworkPolicySpec {
                order: Some(2000.0),
                selector: Some(
                    "projectcalico.org/namespace not in {'kube-system', 'calico-system', \
                     'tigera-operator'}"
                        .to_owned(),
                ),
                types: vec![PolicyType::Ingress, PolicyType::Egress],
                egress: dns_rules(),
                ..GlobalNetworkPolicySpec::default()
            },
        },
        GlobalNetworkPolicy {
            metadata: meta("host-nodeport-guard", None),
            spec: GlobalNetworkPolicySpec {
                order: Some(10.0),
                selector: Some("has(node-role.kubernetes.io/worker)".to_owned()),
                namespace_selector: None,
                types: vec![PolicyType::Ingress],
                ingress: vec![
                    Rule {
                        protocol: Some(Protocol::Icmp),
                        ip_version: Some(IpVersion::V4),
                        not_icmp: Some(IcmpMatch {
                            icmp_type: Some(8),
                            code: Some(0),
                        }),
                        ..Rule::new(Action::Deny)
                    },
                    Rule {
                        protocol: Some(Protocol::Tcp),
                        source: EntityRule {
                            not_nets: vec!["10.0.0.0/8".to_owned()],
                            ..EntityRule::default()
                        },
                        destination: EntityRule {
                            ports: vec![Port::range(30000, 32767)],
                            ..EntityRule::default()
                        },
                        ..Rule::new(Action::Deny)
                    },
                ],
                pre_dnat: Some(true),
                apply_on_forward: Some(true),
                ..GlobalNetworkPolicySpec::default()
            },
        },
        GlobalNetworkPolicy {
            metadata: meta("untracked-metrics", None),
            spec: GlobalNetworkPolicySpec {
                selector: Some("has(node-role.kubernetes.io/worker)".to_owned()),
                namespace_selector: Some("monitoring == 'true'".to_owned()),
                types: vec![PolicyType::Ingress],
                performance_hints: vec![PerformanceHint::AssumeNeededOnEveryNode],
                ingress: vec![Rule {
                    protocol: Some(Protocol::Tcp),
                    source: EntityRule {
                        services: Some(ServiceMatch {
                            name: "prometheus".to_owned(),
                            namespace: Some("monitoring".to_owned()),
                        }),
                        ..EntityRule::default()
                    },
                    ..Rule::new(Action::Pass)
                }],
                do_not_track: Some(true),
                apply_on_forward: Some(true),
                ..GlobalNetworkPolicySpec::default()
            },
        },
    ]
}

fn assert_all_valid(file: &str, objects: &[Value]) -> TestResult {
    let validator = validator(file, true)?;
    let mut failures = Vec::new();
    for object in objects {
        for error in errors(&validator, object) {
            failures.push(format!("{} {error}", object["metadata"]["name"]));
        }
    }
    assert!(
        failures.is_empty(),
        "objects rejected by the strict {file} schema:\n{}",
        failures.join("\n")
    );
    Ok(())
}

#[test]
#[ignore = "needs the pinned Calico CRDs: run scripts/test.sh"]
fn network_policies_match_the_strict_crd_schema() -> TestResult {
    let objects = network_policies()
        .iter()
        .map(serde_json::to_value)
        .collect::<Result<Vec<_>, _>>()?;
    assert_all_valid(NETWORK_POLICIES, &objects)
}

#[test]
#[ignore = "needs the pinned Calico CRDs: run scripts/test.sh"]
fn global_network_policies_match_the_strict_crd_schema() -> TestResult {
    let objects = global_network_policies()
        .iter()
        .map(serde_json::to_value)
        .collect::<Result<Vec<_>, _>>()?;
    assert_all_valid(GLOBAL_NETWORK_POLICIES, &objects)
}

// Without this, a passing validation test could just mean the schema accepts anything.
#[test]
#[ignore = "needs the pinned Calico CRDs: run scripts/test.sh"]
fn misspelt_fields_fail_only_the_strict_schema() -> TestResult {
    let strict = validator(NETWORK_POLICIES, true)?;
    let lenient = validator(NETWORK_POLICIES, false)?;
    let policies = network_policies();
    let valid = serde_json::to_value(&policies[1])?;
    assert!(errors(&strict, &valid).is_empty());

    let mut top_level = valid.clone();
    top_level["spec"]["selectr"] = json!("app == 'web'");
    let mut nested = valid.clone();
    nested["spec"]["ingress"][0]["destination"]["prots"] = json!([80]);

    for (what, key, object) in [
        ("spec.selectr", "selectr", top_level),
        ("destination.prots", "prots", nested),
    ] {
        let found = errors(&strict, &object);
        assert!(!found.is_empty(), "strict schema accepted misspelt {what}");
        assert!(
            found.iter().any(|error| error.contains(key)),
            "strict schema rejected {what} for an unexpected reason: {found:?}"
        );
        assert!(
            errors(&lenient, &object).is_empty(),
            "the unmodified schema should accept {what}, else this test proves nothing"
        );
    }
    Ok(())
}

#[test]
fn serialised_policies_read_back_equal() -> TestResult {
    for policy in network_policies() {
        let json = serde_json::to_string(&policy)?;
        assert_eq!(serde_json::from_str::<NetworkPolicy>(&json)?, policy);
        let yaml = serde_yaml::to_string(&policy)?;
        assert_eq!(serde_yaml::from_str::<NetworkPolicy>(&yaml)?, policy);
    }
    for policy in global_network_policies() {
        let json = serde_json::to_string(&policy)?;
        assert_eq!(serde_json::from_str::<GlobalNetworkPolicy>(&json)?, policy);
        let yaml = serde_yaml::to_string(&policy)?;
        assert_eq!(serde_yaml::from_str::<GlobalNetworkPolicy>(&yaml)?, policy);
    }
    Ok(())
}

#[test]
fn type_meta_is_written_first() -> TestResult {
    let policies = network_policies();
    let yaml = serde_yaml::to_string(&policies[0])?;
    assert!(
        yaml.starts_with("apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata:\n"),
        "unexpected head of output:\n{yaml}"
    );

    let globals = global_network_policies();
    let json = serde_json::to_string(&globals[0])?;
    let position = |key: &str| json.find(&format!("\"{key}\":"));
    let order = ["apiVersion", "kind", "metadata", "spec"].map(position);
    assert_eq!(
        position("apiVersion"),
        Some(1),
        "apiVersion must open the object: {json}"
    );
    assert!(
        order.windows(2).all(|pair| pair[0] < pair[1]),
        "keys out of order ({order:?}) in {json}"
    );
    assert!(
        json.starts_with(r#"{"apiVersion":"projectcalico.org/v3","kind":"GlobalNetworkPolicy","#)
    );
    Ok(())
}

fn find_noise(value: &Value, path: &str, found: &mut Vec<String>) {
    match value {
        Value::Null => found.push(format!("{path} is null")),
        Value::Array(items) if items.is_empty() => found.push(format!("{path} is an empty list")),
        Value::Object(map) if map.is_empty() => found.push(format!("{path} is an empty object")),
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                find_noise(item, &format!("{path}[{index}]"), found);
            }
        }
        Value::Object(map) => {
            for (key, child) in map {
                find_noise(child, &format!("{path}.{key}"), found);
            }
        }
        _ => {}
    }
}

#[test]
fn output_has_no_nulls_or_empty_collections() -> TestResult {
    let mut found = Vec::new();
    for policy in network_policies() {
        find_noise(&serde_json::to_value(&policy)?, "", &mut found);
    }
    for policy in global_network_policies() {
        find_noise(&serde_json::to_value(&policy)?, "", &mut found);
    }
    assert!(found.is_empty(), "noise in output: {found:#?}");
    Ok(())
}

#[test]
fn type_meta_is_checked_when_present() -> TestResult {
    let global = serde_json::to_value(&global_network_policies()[0])?;
    assert!(serde_json::from_value::<NetworkPolicy>(global.clone()).is_err());

    let mut wrong_version = global.clone();
    wrong_version["apiVersion"] = json!("crd.projectcalico.org/v1");
    assert!(serde_json::from_value::<GlobalNetworkPolicy>(wrong_version).is_err());

    let bare = json!({
        "metadata": { "name": "bare", "namespace": "shop" },
        "spec": { "selector": "all()", "types": ["Ingress"] },
    });
    let policy: NetworkPolicy = serde_json::from_value(bare)?;
    assert_eq!(policy.spec.types, vec![PolicyType::Ingress]);
    Ok(())
}

#[test]
fn int_or_string_fields_use_the_calico_wire_forms() -> TestResult {
    assert_eq!(serde_json::to_value(Protocol::Tcp)?, json!("TCP"));
    assert_eq!(serde_json::to_value(Protocol::IcmpV6)?, json!("ICMPv6"));
    assert_eq!(serde_json::to_value(Protocol::UdpLite)?, json!("UDPLite"));
    assert_eq!(serde_json::to_value(Protocol::Number(132))?, json!(132));
    assert_eq!(
        serde_json::from_value::<Protocol>(json!("SCTP"))?,
        Protocol::Sctp
    );
    assert_eq!(
        serde_json::from_value::<Protocol>(json!(47))?,
        Protocol::Number(47)
    );
    assert!(serde_json::from_value::<Protocol>(json!("tcpp")).is_err());
    assert!(serde_json::from_value::<Protocol>(json!(0)).is_err());
    assert!(serde_json::from_value::<Protocol>(json!(256)).is_err());

    assert_eq!(serde_json::to_value(Port::Number(53))?, json!(53));
    assert_eq!(
        serde_json::to_value(Port::range(8080, 8090))?,
        json!("8080:8090")
    );
    assert_eq!(
        serde_json::from_value::<Port>(json!("http"))?,
        Port::from("http")
    );
    assert_eq!(serde_yaml::from_str::<Port>("443")?, Port::Number(443));

    assert_eq!(serde_json::to_value(IpVersion::V6)?, json!(6));
    assert!(serde_json::from_value::<IpVersion>(json!(5)).is_err());

    let global = serde_json::to_value(&global_network_policies()[1])?;
    assert_eq!(global["spec"]["preDNAT"], json!(true));
    assert_eq!(
        global["spec"]["ingress"][0]["notICMP"],
        json!({ "type": 8, "code": 0 })
    );
    Ok(())
}

trait ScopeName {
    const NAME: &'static str;
}

impl ScopeName for NamespaceResourceScope {
    const NAME: &'static str = "Namespaced";
}

impl ScopeName for ClusterResourceScope {
    const NAME: &'static str = "Cluster";
}

fn assert_resource_matches_crd<R>(file: &str) -> TestResult
where
    R: ListableResource,
    R::Scope: ScopeName,
{
    let crd = load_crd(file)?;
    let spec = &crd["spec"];
    // The v1 CRDs put the same kinds in Calico's own storage group, `crd.` + the API group.
    let group = match calico_version(&crd) {
        "v1" => format!("crd.{}", R::GROUP),
        _ => R::GROUP.to_owned(),
    };
    assert_eq!(spec["group"], json!(group));
    assert_eq!(format!("{}/{}", R::GROUP, R::VERSION), R::API_VERSION);
    assert_eq!(spec["names"]["kind"], json!(R::KIND));
    assert_eq!(spec["names"]["listKind"], json!(R::LIST_KIND));
    assert_eq!(spec["names"]["plural"], json!(R::URL_PATH_SEGMENT));
    assert_eq!(spec["scope"], json!(<R::Scope as ScopeName>::NAME));
    Ok(())
}

#[test]
#[ignore = "needs the pinned Calico CRDs: run scripts/test.sh"]
fn resource_constants_match_the_crds() -> TestResult {
    assert_resource_matches_crd::<NetworkPolicy>(NETWORK_POLICIES)?;
    assert_resource_matches_crd::<GlobalNetworkPolicy>(GLOBAL_NETWORK_POLICIES)
}

#[test]
fn kforge_validate_accepts_what_the_types_serialise() -> TestResult {
    let validator = Validator::new("1.33")?;
    let objects = network_policies()
        .iter()
        .map(serde_json::to_value)
        .chain(global_network_policies().iter().map(serde_json::to_value))
        .collect::<Result<Vec<_>, _>>()?;
    for object in &objects {
        let findings = validator.validate(0, object);
        assert!(
            findings.is_empty(),
            "{}: {findings:?}",
            object["metadata"]["name"]
        );
    }
    Ok(())
}

/// The schema node a `$ref` (or a chain of them) points at in `defs`.
fn resolve<'a>(defs: &'a serde_json::Map<String, Value>, mut node: &'a Value) -> &'a Value {
    while let Some(name) = node["$ref"]
        .as_str()
        .and_then(|r| r.strip_prefix("#/$defs/"))
    {
        node = &defs[name];
    }
    node
}

/// The properties our schema allows at a node, from all of its alternatives (an `HttpPath` is
/// a `oneOf` of `{exact}` and `{prefix}`).
fn our_properties<'a>(
    defs: &'a serde_json::Map<String, Value>,
    node: &'a Value,
) -> BTreeMap<&'a str, &'a Value> {
    let node = resolve(defs, node);
    let mut out: BTreeMap<&str, &Value> = node["properties"]
        .as_object()
        .map(|p| p.iter().map(|(k, v)| (k.as_str(), v)).collect())
        .unwrap_or_default();
    for keyword in ["oneOf", "anyOf", "allOf"] {
        for branch in node[keyword].as_array().into_iter().flatten() {
            out.extend(our_properties(defs, branch));
        }
    }
    out
}

/// What a walk of the CRD's schema found: every property path it compared, and those ours lacks.
#[derive(Default)]
struct Walk {
    compared: Vec<String>,
    missing: Vec<String>,
}

/// Compares every property of the CRD's schema at `crd`, recursively, with ours at `ours`.
fn walk(
    defs: &serde_json::Map<String, Value>,
    crd: &Value,
    ours: &Value,
    path: &str,
    out: &mut Walk,
) {
    let properties = our_properties(defs, ours);
    for (name, crd_child) in crd["properties"].as_object().into_iter().flatten() {
        let child_path = format!("{path}.{name}");
        out.compared.push(child_path.clone());
        match properties.get(name.as_str()) {
            Some(our_child) => walk(defs, crd_child, our_child, &child_path, out),
            None => out.missing.push(child_path),
        }
    }
    if crd["items"].is_object() {
        let items = &resolve(defs, ours)["items"];
        if items.is_object() {
            walk(defs, &crd["items"], items, &format!("{path}[]"), out);
        } else {
            out.missing
                .push(format!("{path}[] (not a list in our schema)"));
        }
    }
}

// The other direction from the tests above: a Calico upgrade that adds a field shows up here
// as a field to add to `kforge::model::calico`, instead of as valid policies `kforge validate` rejects.
#[test]
#[ignore = "needs the pinned Calico CRDs: run scripts/test.sh"]
fn every_crd_spec_field_is_in_our_schema() -> TestResult {
    let set = SchemaSet::get("1.33").ok_or("no schemas for 1.33")?;
    for (file, kind) in [
        (NETWORK_POLICIES, "NetworkPolicy"),
        (GLOBAL_NETWORK_POLICIES, "GlobalNetworkPolicy"),
    ] {
        let crd = served_schema(&load_crd(file)?)?;
        let info = set
            .kind("projectcalico.org/v3", kind)
            .ok_or_else(|| format!("no schema for {kind}"))?;
        let ours = &set.definitions[&info.definition];
        let our_spec = our_properties(&set.definitions, ours)
            .get("spec")
            .copied()
            .ok_or("our schema has no spec")?;
        let mut found = Walk::default();
        walk(
            &set.definitions,
            &crd["properties"]["spec"],
            our_spec,
            "spec",
            &mut found,
        );
        assert!(
            found.missing.is_empty(),
            "{kind} lacks {:#?}",
            found.missing
        );
        // Not vacuous: the walk went down to the deepest fields of the CRD.
        for deep in [
            "spec.ingress[].http.paths[].prefix",
            "spec.egress[].destination.services.namespace",
            "spec.ingress[].metadata.annotations",
            "spec.performanceHints",
        ] {
            assert!(
                found.compared.iter().any(|p| p == deep),
                "{kind}: {deep} not compared"
            );
        }
    }
    Ok(())
}
