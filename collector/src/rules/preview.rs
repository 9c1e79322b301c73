//! Which rules apply to a visitor, and why: `orbit-core`'s evaluator, the one the browser
//! runs, with the collector's [`RegexHost`] and the debug trace on.

use orbit_core::rules::{EvalOptions, RuleEngine, Rules, VisitorContext};

use super::host::RegexHost;

/// Longest `preview` value (`?orbit_preview=` tokens), in bytes.
pub const MAX_PREVIEW_BYTES: usize = 1_024;

/// Evaluates `rules` for `context` with the debug trace on, `preview` forcing rules or
/// variants as `?orbit_preview=` does. The answer is [`orbit_core::rules::Evaluation`]'s
/// JSON: `{"holdout", "decisions": [{"rule", "priority", "group", "forced", "experiment":
/// {"id", "variant", "control", "source", "exposure"} | null, "actions"}], "trace":
/// [{"rule", "outcome", "detail"}]}`.
pub fn evaluate(
    rules: Rules,
    context: &VisitorContext,
    preview: Option<&str>,
) -> Result<serde_json::Value, String> {
    let engine = RuleEngine::new(rules, RegexHost);
    let options = EvalOptions {
        preview: preview.filter(|p| !p.is_empty()),
        debug: true,
    };
    let text = engine.evaluate(context, &options).to_json();
    serde_json::from_str(&text).map_err(|e| format!("the evaluation is not JSON: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use orbit_core::rules::parse_rules;

    #[test]
    fn decisions_and_the_trace_explain_each_rule() {
        let rules = parse_rules(
            r#"{"rules":[
                {"id":"spring","conditions":{"attribute":"utm_campaign","op":"regex","value":"^spr","ignore_case":true},
                 "actions":[{"type":"set_text","selector":"h1","text":"Spring"}]},
                {"id":"mobile","conditions":{"attribute":"device","op":"equals","value":"mobile"},
                 "actions":[{"type":"hide","selector":"aside"}]}]}"#,
        )
        .unwrap();
        let ctx =
            VisitorContext::from_json(r#"{"visitor_id":"v","utm_campaign":"SPRING-26"}"#).unwrap();
        let result = evaluate(rules, &ctx, None).unwrap();
        assert_eq!(result["holdout"], false);
        assert_eq!(result["decisions"][0]["rule"], "spring");
        assert_eq!(
            result["decisions"][0]["actions"],
            serde_json::json!([{"type":"set_text","selector":"h1","text":"Spring"}])
        );
        assert_eq!(result["decisions"].as_array().unwrap().len(), 1);
        assert_eq!(result["trace"][1]["rule"], "mobile");
        assert_eq!(result["trace"][1]["outcome"], "conditions_false");
    }
}
