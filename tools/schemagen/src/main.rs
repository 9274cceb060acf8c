//! Writes the strict schema file kforge embeds for one Kubernetes minor
//! (`schemas/k8s/v1.XX.json`) to stdout: every top-level kind of k8s-openapi (built with that
//! minor's feature). The Calico kinds are not here: kforge derives them from its own types at
//! run time (`src/validate/calico.rs`).
//!
//! Usage: `schemagen 1.33 > schemas/k8s/v1.33.json`
//! (run through `scripts/gen-schemas.sh`, which also regenerates `kinds.rs`).

mod kinds;
// Its CRD half serves kforge's `--crd` only.
#[allow(dead_code)]
#[path = "../../../src/validate/strict.rs"]
mod strict;

use std::collections::BTreeMap;
use std::error::Error;

use k8s_openapi::{ClusterResourceScope, NamespaceResourceScope, Resource};
use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, SchemaGenerator};
use serde_json::{Value, json};

/// One top-level kind: where it is in `$defs` and whether it lives in a namespace.
pub(crate) struct Kind {
    api_version: &'static str,
    kind: &'static str,
    namespaced: bool,
    add: fn(&mut SchemaGenerator) -> Value,
}

/// The scope of a resource type as a plain flag.
trait Scope {
    const NAMESPACED: bool;
}

impl Scope for NamespaceResourceScope {
    const NAMESPACED: bool = true;
}

impl Scope for ClusterResourceScope {
    const NAMESPACED: bool = false;
}

pub(crate) fn add<T>(out: &mut Vec<Kind>)
where
    T: Resource + JsonSchema,
    T::Scope: Scope,
{
    out.push(Kind {
        api_version: T::API_VERSION,
        kind: T::KIND,
        namespaced: <T::Scope as Scope>::NAMESPACED,
        add: |generator| generator.subschema_for::<T>().to_value(),
    });
}

const QUANTITY: &str = "io.k8s.apimachinery.pkg.api.resource.Quantity";

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [version] = args.as_slice() else {
        return Err("usage: schemagen <1.XX>".into());
    };
    let mut generator = SchemaSettings::draft2020_12().into_generator();
    let mut kinds = BTreeMap::new();
    for kind in kinds::kinds() {
        let reference = (kind.add)(&mut generator);
        let definition = reference
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix("#/$defs/"))
            .ok_or_else(|| format!("{} has no definition", kind.kind))?
            .to_owned();
        kinds.insert(
            format!("{} {}", kind.api_version, kind.kind),
            json!({"definition": definition, "namespaced": kind.namespaced}),
        );
    }
    let mut generated = generator.take_definitions(true);
    for definition in generated.values_mut() {
        strict::tighten_definition(definition);
    }
    strict::add_known_enums(&mut generated);
    let mut definitions: BTreeMap<String, Value> = generated.into_iter().collect();
    // The API server reads a quantity from a JSON number as well as from a string.
    definitions.insert(QUANTITY.into(), json!({"type": ["string", "number"]}));
    print!("{}", render(version, &kinds, &definitions)?);
    Ok(())
}

/// One line per kind and per definition, so that a version bump reads as a small diff.
fn render(
    version: &str,
    kinds: &BTreeMap<String, Value>,
    definitions: &BTreeMap<String, Value>,
) -> Result<String, Box<dyn Error>> {
    let mut text = String::from("{\n");
    text.push_str(&format!(
        "\"kubernetesVersion\": {},\n\"generator\": \"tools/schemagen (k8s-openapi 0.29); regenerate with scripts/gen-schemas.sh\",\n",
        serde_json::to_string(version)?
    ));
    text.push_str("\"kinds\": {\n");
    let lines: Result<Vec<String>, serde_json::Error> = kinds
        .iter()
        .map(|(k, v)| Ok(format!("{}: {}", serde_json::to_string(k)?, serde_json::to_string(v)?)))
        .collect();
    text.push_str(&lines?.join(",\n"));
    text.push_str("\n},\n\"$defs\": {\n");
    let lines: Result<Vec<String>, serde_json::Error> = definitions
        .iter()
        .map(|(k, v)| Ok(format!("{}: {}", serde_json::to_string(k)?, serde_json::to_string(v)?)))
        .collect();
    text.push_str(&lines?.join(",\n"));
    text.push_str("\n}\n}\n");
    Ok(text)
}
