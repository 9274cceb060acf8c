//! Typed models of Calico's `projectcalico.org/v3` `NetworkPolicy` and `GlobalNetworkPolicy`.
//!
//! Every field of the CRDs' `spec` is modelled, including those kforge never emits (HTTP
//! matches, rule metadata, performance hints), because these types are also the source of the
//! strict schemas `kforge validate` holds users' Calico policies to
//! ([`crate::validate::calico`], through `schemars`). The field names, enum spellings and
//! int-or-string forms follow the CRDs shipped with Calico; `tests/calico_crd.rs` holds the
//! serialised output against those schemas and checks that no CRD field is missing here.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, Deserializer};
use serde::ser::{SerializeStruct, Serializer};
use serde::{Deserialize, Serialize};

const GROUP: &str = "projectcalico.org";
const VERSION: &str = "v3";
const API_VERSION: &str = "projectcalico.org/v3";

/// A namespaced Calico policy: applies to workload endpoints in its own namespace.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NetworkPolicy {
    pub metadata: ObjectMeta,
    pub spec: NetworkPolicySpec,
}

/// A cluster-wide Calico policy: may select endpoints in any namespace and host endpoints.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GlobalNetworkPolicy {
    pub metadata: ObjectMeta,
    pub spec: GlobalNetworkPolicySpec,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Default)]
#[serde(rename_all = "camelCase")]
pub struct NetworkPolicySpec {
    /// Lower orders are evaluated first; policies without an order go last.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<f64>,
    /// The apiserver fills in `default` when this is absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<String>,
    /// Calico selector expression over endpoint labels; absent selects every endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selector: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_account_selector: Option<String>,
    /// Left empty, Calico infers the types from which rule lists are present, and a policy with
    /// no rules becomes ingress-only: a deny-all-egress policy must say `Egress` explicitly.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(min = 1, max = 2))]
    pub types: Vec<PolicyType>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ingress: Vec<Rule>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub egress: Vec<Rule>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub performance_hints: Vec<PerformanceHint>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Default)]
#[serde(rename_all = "camelCase")]
pub struct GlobalNetworkPolicySpec {
    /// Lower orders are evaluated first; policies without an order go last.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<f64>,
    /// The apiserver fills in `default` when this is absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selector: Option<String>,
    /// Narrows `selector` to endpoints whose namespace carries matching labels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace_selector: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_account_selector: Option<String>,
    /// Left empty, Calico infers the types from which rule lists are present (see
    /// [`NetworkPolicySpec::types`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(min = 1, max = 2))]
    pub types: Vec<PolicyType>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ingress: Vec<Rule>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub egress: Vec<Rule>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub performance_hints: Vec<PerformanceHint>,
    /// The CRD forbids this together with `pre_dnat`, and requires `apply_on_forward` with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub do_not_track: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apply_on_forward: Option<bool>,
    /// The CRD forbids egress rules and the `Egress` type on a pre-DNAT policy.
    #[serde(default, rename = "preDNAT", skip_serializing_if = "Option::is_none")]
    pub pre_dnat: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum PolicyType {
    Ingress,
    Egress,
}

/// Hints to Calico's policy engine; they never change what a policy enforces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum PerformanceHint {
    /// Program the policy on every node up front instead of when a local endpoint needs it.
    AssumeNeededOnEveryNode,
}

/// What happens to a packet that matches a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum Action {
    Allow,
    Deny,
    /// Logs the packet and carries on to the next rule.
    Log,
    /// Skips the rest of this tier and hands the packet to the next one.
    Pass,
}

/// One ingress or egress rule.
///
/// There is deliberately no `Default`: `action` is required by the CRD and a silently
/// defaulted firewall verdict is the wrong kind of convenience. Start from [`Rule::new`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Rule {
    pub action: Action,
    /// Required whenever either side lists ports, since only some protocols have them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<Protocol>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_protocol: Option<Protocol>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_version: Option<IpVersion>,
    /// Only valid with protocol ICMP or ICMPv6.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icmp: Option<IcmpMatch>,
    #[serde(default, rename = "notICMP", skip_serializing_if = "Option::is_none")]
    pub not_icmp: Option<IcmpMatch>,
    #[serde(default, skip_serializing_if = "EntityRule::is_empty")]
    pub source: EntityRule,
    #[serde(default, skip_serializing_if = "EntityRule::is_empty")]
    pub destination: EntityRule,
    /// Layer-7 match, enforced by Calico's application layer policy: only on `Allow` rules
    /// whose protocol is TCP or unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http: Option<HttpMatch>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<RuleMetadata>,
}

impl Rule {
    /// A rule that matches all traffic and applies `action` to it.
    pub fn new(action: Action) -> Self {
        Rule {
            action,
            protocol: None,
            not_protocol: None,
            ip_version: None,
            icmp: None,
            not_icmp: None,
            source: EntityRule::default(),
            destination: EntityRule::default(),
            http: None,
            metadata: None,
        }
    }
}

/// HTTP request criteria of a rule; the lists are ORed within and ANDed with each other.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema, Default)]
#[serde(rename_all = "camelCase")]
pub struct HttpMatch {
    /// e.g. `GET`, `PUT`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 20))]
    pub methods: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 20))]
    pub paths: Vec<HttpPath>,
}

/// One HTTP path match: on the wire a mapping with exactly one of `exact` or `prefix`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum HttpPath {
    Exact(#[schemars(length(max = 1024))] String),
    Prefix(#[schemars(length(max = 1024))] String),
}

/// Extra information about a rule, carried to the dataplane (e.g. into `Log` rule output).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema, Default)]
#[serde(rename_all = "camelCase")]
pub struct RuleMetadata {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

/// The match criteria for one end (source or destination) of a rule. Every field narrows the
/// match; an empty `EntityRule` matches any endpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Default)]
#[serde(rename_all = "camelCase")]
pub struct EntityRule {
    /// CIDRs, e.g. `10.0.0.0/8`. Kept as text so the manifest shows exactly what was written.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nets: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_nets: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selector: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_selector: Option<String>,
    /// In a NetworkPolicy, absent means "this policy's namespace"; `all()` means every one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace_selector: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_accounts: Option<ServiceAccountMatch>,
    /// The CRD forbids combining this with selectors, nets or ports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub services: Option<ServiceMatch>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<Port>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_ports: Vec<Port>,
}

impl EntityRule {
    /// True when the rule would match anything, so serialising it would only add noise.
    pub fn is_empty(&self) -> bool {
        self == &EntityRule::default()
    }
}

/// Matches pods by the service account they run as; `names` and `selector` are ANDed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema, Default)]
#[serde(rename_all = "camelCase")]
pub struct ServiceAccountMatch {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub names: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selector: Option<String>,
}

/// Matches the endpoints behind a Kubernetes Service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema, Default)]
#[serde(rename_all = "camelCase")]
pub struct ServiceMatch {
    pub name: String,
    /// Absent means the policy's own namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema, Default)]
#[serde(rename_all = "camelCase")]
pub struct IcmpMatch {
    /// The CRD caps this at 254.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    #[schemars(range(max = 254))]
    pub icmp_type: Option<u8>,
    /// Only meaningful together with `icmp_type`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<u8>,
}

/// A port match. Calico takes a bare number, a `"min:max"` range, or a named container port;
/// the last two are both strings on the wire, so they share [`Port::Name`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Port {
    Number(u16),
    Name(String),
}

impl Port {
    /// An inclusive port range, written the way Calico parses it.
    pub fn range(first: u16, last: u16) -> Self {
        Port::Name(format!("{first}:{last}"))
    }
}

// A type union rather than the `anyOf` serde's untagged form would give: a wrong value then
// reads "expected integer or string" instead of "not valid under any of the schemas".
impl JsonSchema for Port {
    fn schema_name() -> Cow<'static, str> {
        "Port".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A port number, a \"min:max\" range or a named port.",
            "type": ["integer", "string"],
            "minimum": 0,
            "maximum": 65535
        })
    }
}

impl From<u16> for Port {
    fn from(number: u16) -> Self {
        Port::Number(number)
    }
}

impl From<&str> for Port {
    fn from(name: &str) -> Self {
        Port::Name(name.to_owned())
    }
}

/// The IP protocol a rule matches. The CRD types this as int-or-string: one of Calico's
/// protocol names, or an IANA protocol number from 1 to 255.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "IntOrString", try_from = "IntOrString")]
pub enum Protocol {
    Tcp,
    Udp,
    Icmp,
    IcmpV6,
    Sctp,
    UdpLite,
    Number(u8),
}

impl Protocol {
    const NAMED: [Protocol; 6] = [
        Protocol::Tcp,
        Protocol::Udp,
        Protocol::Icmp,
        Protocol::IcmpV6,
        Protocol::Sctp,
        Protocol::UdpLite,
    ];

    /// The spelling Calico expects, or `None` for a bare protocol number.
    pub fn name(self) -> Option<&'static str> {
        Some(match self {
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
            Protocol::Icmp => "ICMP",
            Protocol::IcmpV6 => "ICMPv6",
            Protocol::Sctp => "SCTP",
            Protocol::UdpLite => "UDPLite",
            Protocol::Number(_) => return None,
        })
    }
}

// Strings must be one of the names, numbers lie in 1-255; `if` keeps the enum's own error (and
// its did-you-mean) instead of an `anyOf` summary.
impl JsonSchema for Protocol {
    fn schema_name() -> Cow<'static, str> {
        "Protocol".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let names: Vec<&str> = Protocol::NAMED.iter().filter_map(|p| p.name()).collect();
        json_schema!({
            "description": "A protocol name or an IANA protocol number.",
            "type": ["integer", "string"],
            "if": {"type": "string"},
            "then": {"enum": names},
            "else": {"minimum": 1, "maximum": 255}
        })
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Protocol::Number(number) => write!(f, "{number}"),
            named => f.write_str(named.name().unwrap_or_default()),
        }
    }
}

/// The wire shape of Kubernetes' int-or-string, used to route `Protocol` through serde.
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum IntOrString {
    Int(i64),
    Str(String),
}

impl From<Protocol> for IntOrString {
    fn from(protocol: Protocol) -> Self {
        match protocol {
            Protocol::Number(number) => IntOrString::Int(i64::from(number)),
            named => IntOrString::Str(named.to_string()),
        }
    }
}

// Names are matched exactly: kforge writes manifests, so it should only ever see, and only
// ever produce, the canonical spellings listed in the CRD.
impl TryFrom<IntOrString> for Protocol {
    type Error = String;

    fn try_from(value: IntOrString) -> Result<Self, Self::Error> {
        match value {
            IntOrString::Int(number) => match u8::try_from(number) {
                Ok(number) if number != 0 => Ok(Protocol::Number(number)),
                _ => Err(format!("protocol number {number} is outside 1-255")),
            },
            IntOrString::Str(text) => Protocol::NAMED
                .into_iter()
                .find(|protocol| protocol.name() == Some(text.as_str()))
                .ok_or_else(|| {
                    format!(
                        "unknown protocol `{text}`, expected one of TCP, UDP, ICMP, ICMPv6, \
                         SCTP, UDPLite or a number from 1 to 255"
                    )
                }),
        }
    }
}

/// The CRD types `ipVersion` as the integer 4 or 6, not a string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "u8", try_from = "u8")]
pub enum IpVersion {
    V4,
    V6,
}

impl JsonSchema for IpVersion {
    fn schema_name() -> Cow<'static, str> {
        "IpVersion".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"type": "integer", "enum": [4, 6]})
    }
}

impl From<IpVersion> for u8 {
    fn from(version: IpVersion) -> Self {
        match version {
            IpVersion::V4 => 4,
            IpVersion::V6 => 6,
        }
    }
}

impl TryFrom<u8> for IpVersion {
    type Error = String;

    fn try_from(value: u8) -> Result<Self, Self::Error> {
        match value {
            4 => Ok(IpVersion::V4),
            6 => Ok(IpVersion::V6),
            other => Err(format!("ipVersion must be 4 or 6, not {other}")),
        }
    }
}

impl k8s_openapi::Resource for NetworkPolicy {
    const API_VERSION: &'static str = API_VERSION;
    const GROUP: &'static str = GROUP;
    const KIND: &'static str = "NetworkPolicy";
    const VERSION: &'static str = VERSION;
    const URL_PATH_SEGMENT: &'static str = "networkpolicies";
    type Scope = k8s_openapi::NamespaceResourceScope;
}

impl k8s_openapi::ListableResource for NetworkPolicy {
    const LIST_KIND: &'static str = "NetworkPolicyList";
}

impl k8s_openapi::Metadata for NetworkPolicy {
    type Ty = ObjectMeta;

    fn metadata(&self) -> &ObjectMeta {
        &self.metadata
    }

    fn metadata_mut(&mut self) -> &mut ObjectMeta {
        &mut self.metadata
    }
}

impl k8s_openapi::Resource for GlobalNetworkPolicy {
    const API_VERSION: &'static str = API_VERSION;
    const GROUP: &'static str = GROUP;
    const KIND: &'static str = "GlobalNetworkPolicy";
    const VERSION: &'static str = VERSION;
    const URL_PATH_SEGMENT: &'static str = "globalnetworkpolicies";
    type Scope = k8s_openapi::ClusterResourceScope;
}

impl k8s_openapi::ListableResource for GlobalNetworkPolicy {
    const LIST_KIND: &'static str = "GlobalNetworkPolicyList";
}

impl k8s_openapi::Metadata for GlobalNetworkPolicy {
    type Ty = ObjectMeta;

    fn metadata(&self) -> &ObjectMeta {
        &self.metadata
    }

    fn metadata_mut(&mut self) -> &mut ObjectMeta {
        &mut self.metadata
    }
}

// The type meta lives in the Resource impl rather than in fields, so that a value can never
// carry the wrong apiVersion or kind; serialising writes it back out, first, as kubectl does.
fn serialize_object<R, S, Ser>(
    metadata: &ObjectMeta,
    spec: &S,
    serializer: Ser,
) -> Result<Ser::Ok, Ser::Error>
where
    R: k8s_openapi::Resource,
    S: Serialize,
    Ser: Serializer,
{
    let mut object = serializer.serialize_struct(R::KIND, 4)?;
    object.serialize_field("apiVersion", R::API_VERSION)?;
    object.serialize_field("kind", R::KIND)?;
    object.serialize_field("metadata", metadata)?;
    object.serialize_field("spec", spec)?;
    object.end()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireObject<S> {
    #[serde(default)]
    api_version: Option<String>,
    #[serde(default)]
    kind: Option<String>,
    metadata: ObjectMeta,
    spec: S,
}

// Absent type meta is accepted (a bare metadata+spec is unambiguous once the Rust type is
// chosen), but a present one must match, so a GlobalNetworkPolicy document can't be read as a
// NetworkPolicy and lose its cluster scope.
fn deserialize_object<'de, R, S, D>(deserializer: D) -> Result<(ObjectMeta, S), D::Error>
where
    R: k8s_openapi::Resource,
    S: Deserialize<'de>,
    D: Deserializer<'de>,
{
    let wire = WireObject::<S>::deserialize(deserializer)?;
    if let Some(api_version) = wire.api_version.as_deref().filter(|v| *v != R::API_VERSION) {
        return Err(de::Error::invalid_value(
            de::Unexpected::Str(api_version),
            &R::API_VERSION,
        ));
    }
    if let Some(kind) = wire.kind.as_deref().filter(|k| *k != R::KIND) {
        return Err(de::Error::invalid_value(
            de::Unexpected::Str(kind),
            &R::KIND,
        ));
    }
    Ok((wire.metadata, wire.spec))
}

impl Serialize for NetworkPolicy {
    fn serialize<Ser: Serializer>(&self, serializer: Ser) -> Result<Ser::Ok, Ser::Error> {
        serialize_object::<Self, _, _>(&self.metadata, &self.spec, serializer)
    }
}

impl<'de> Deserialize<'de> for NetworkPolicy {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let (metadata, spec) = deserialize_object::<Self, _, _>(deserializer)?;
        Ok(NetworkPolicy { metadata, spec })
    }
}

impl Serialize for GlobalNetworkPolicy {
    fn serialize<Ser: Serializer>(&self, serializer: Ser) -> Result<Ser::Ok, Ser::Error> {
        serialize_object::<Self, _, _>(&self.metadata, &self.spec, serializer)
    }
}

impl<'de> Deserialize<'de> for GlobalNetworkPolicy {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let (metadata, spec) = deserialize_object::<Self, _, _>(deserializer)?;
        Ok(GlobalNetworkPolicy { metadata, spec })
    }
}
