use super::{containers, where_};
use crate::lint::rule::{Hit, Rule};
use crate::model::Object;

crate::lint::rule::rule! {
    /// ## What it does
    /// Flags container images without a tag or with the tag `latest`. Images pinned by
    /// digest (`@sha256:...`) pass.
    ///
    /// ## Why it matters
    /// `latest` names whatever was pushed last. Two nodes can run different code under the
    /// same manifest, a rollback cannot go back, and a rendered tree no longer says what runs.
    ///
    /// ## How to fix
    /// Name a version tag, or a digest for full reproducibility.
    ///
    /// ## Example
    /// ```yaml
    /// image: nginx            # flagged: no tag means latest
    /// image: nginx:latest     # flagged
    /// image: nginx:1.27.2     # fine
    /// ```
    pub struct LatestImageTag;
}

/// The tag of an image reference, `None` when it has none; digests count as pinned.
fn tag(image: &str) -> Option<&str> {
    if image.contains('@') {
        return Some("@digest");
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    last.split_once(':').map(|(_, tag)| tag)
}

impl Rule for LatestImageTag {
    fn per_object(&self) -> bool {
        true
    }

    fn check(&self, objects: &[Object]) -> Vec<Hit> {
        let mut out = Vec::new();
        for site in containers(objects) {
            let Some(image) = site.container.value.get("image").and_then(|v| v.as_str()) else {
                continue;
            };
            let problem = match tag(image) {
                None => "has no tag (so it means `latest`)",
                Some("latest") => "uses the tag `latest`",
                Some(_) => continue,
            };
            out.push(
                Hit::new(
                    site.object,
                    format!("{}/image", site.container.pointer),
                    format!("image `{image}` of {} {problem}", where_(objects, &site)),
                )
                .help("pin a version tag such as `nginx:1.27.2`, or a digest"),
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::tag;

    #[test]
    fn tags() {
        assert_eq!(tag("nginx"), None);
        assert_eq!(tag("registry:5000/team/app"), None);
        assert_eq!(tag("registry:5000/team/app:1.0"), Some("1.0"));
        assert_eq!(tag("nginx:latest"), Some("latest"));
        assert_eq!(tag("nginx@sha256:abc"), Some("@digest"));
    }
}
