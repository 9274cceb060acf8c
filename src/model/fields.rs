//! Field paths: the dotted form of a JSON pointer that diagnostics show users
//! (`spec.apps[2].ports[0].port`), for blueprint fields and object fields alike.

use crate::json::segments;

/// Turns a JSON pointer into the dotted field path users read: `spec.apps[2].ports[0].port`.
pub fn field_path(pointer: &str) -> String {
    let mut path = String::new();
    for segment in segments(pointer) {
        if !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit()) {
            path.push_str(&format!("[{segment}]"));
        } else if segment.contains(['.', '/', ' ', '[']) || segment.is_empty() {
            path.push_str(&format!("[{segment:?}]"));
        } else {
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(&segment);
        }
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_paths_read_like_the_docs() {
        assert_eq!(
            field_path("/spec/apps/2/ports/0/port"),
            "spec.apps[2].ports[0].port"
        );
        assert_eq!(
            field_path("/spec/namespaces/0/quota/requests.cpu"),
            "spec.namespaces[0].quota[\"requests.cpu\"]"
        );
        assert_eq!(field_path(""), "");
    }
}
