//! Two objects with the same group, kind, namespace and name: the second overwrites the first
//! when applied. The index notes them as it is built (the pairs [`crate::model::duplicates`]
//! finds, which expansion uses), so that the check is no pass of its own over the set.

use super::{Ctx, describe};

pub(super) fn check(cx: &mut Ctx<'_, '_>) {
    for &(first, again) in cx.index.duplicates() {
        let objects = cx.objects();
        cx.wrong(
            again,
            String::new(),
            format!("{} is defined twice", describe(&objects[again])),
            format!(
                "object {} of the set defines it first; remove or rename one",
                first + 1
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::run;

    #[test]
    fn same_group_kind_namespace_and_name() {
        let found = run(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: x}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: x}\n",
            false,
        );
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0, "error");
        assert_eq!(found[0].3, "ConfigMap `x/a` is defined twice");
    }

    #[test]
    fn other_namespace_or_group_is_not_a_duplicate() {
        assert!(run(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: x}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: y}\n---\napiVersion: example.com/v1\nkind: ConfigMap\nmetadata: {name: a, namespace: x}\n",
            false
        )
        .is_empty());
    }
}
