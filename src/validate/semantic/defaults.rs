//! Fields the API server defaults before it validates, where the schema calls them
//! required: kforge fills them in the same way before the schema pass, so that an object the
//! server accepts is not refused for a field the server would have set.

use std::borrow::Cow;

use serde_json::Value;

/// The group a RoleBinding's `roleRef` names when it names none (`SetDefaults_RoleBinding`).
const RBAC_GROUP: &str = "rbac.authorization.k8s.io";

/// The object as the server validates it: unchanged unless it lacks a defaulted field.
pub fn with_server_defaults<'a>(
    api_version: &str,
    kind: &str,
    object: &'a Value,
) -> Cow<'a, Value> {
    let binding = matches!(kind, "RoleBinding" | "ClusterRoleBinding")
        && api_version.starts_with("rbac.authorization.k8s.io/");
    let missing_group = object
        .get("roleRef")
        .and_then(Value::as_object)
        .is_some_and(|r| r.get("apiGroup").is_none_or(|g| g.as_str() == Some("")));
    if binding && missing_group {
        let mut owned = object.clone();
        owned["roleRef"]["apiGroup"] = Value::String(RBAC_GROUP.to_owned());
        return Cow::Owned(owned);
    }
    Cow::Borrowed(object)
}
