//! "Did you mean ...?": the nearest of a set of valid names to a misspelt one.

/// The candidate closest to `input`, if it is close enough to be a likely typo.
pub fn did_you_mean<'a, I>(input: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let lowered = input.to_lowercase();
    candidates
        .into_iter()
        .map(|candidate| {
            let score = strsim::jaro_winkler(&lowered, &candidate.to_lowercase());
            (score, candidate)
        })
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0).then_with(|| b.1.cmp(a.1)))
        .map(|(_, candidate)| candidate)
}

/// A help line: "did you mean `x`?" or, failing that, the list of valid names.
pub fn hint<'a, I>(input: &str, candidates: I) -> String
where
    I: IntoIterator<Item = &'a str> + Clone,
{
    match did_you_mean(input, candidates.clone()) {
        Some(best) => format!("did you mean `{best}`?"),
        None => {
            let all: Vec<&str> = candidates.into_iter().collect();
            if all.is_empty() {
                "nothing of that kind is defined".to_owned()
            } else {
                format!("expected one of: {}", all.join(", "))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_transposition() {
        assert_eq!(
            did_you_mean("replcas", ["image", "replicas", "ports"]),
            Some("replicas")
        );
    }

    #[test]
    fn ignores_case() {
        assert_eq!(
            did_you_mean("deploymnt", ["Deployment", "Job"]),
            Some("Deployment")
        );
    }

    #[test]
    fn says_nothing_for_unrelated_words() {
        assert_eq!(did_you_mean("zzz", ["image", "replicas"]), None);
        assert_eq!(hint("zzz", ["a", "b"]), "expected one of: a, b");
    }
}
