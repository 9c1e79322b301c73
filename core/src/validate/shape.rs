//! The shape limits of one event: nesting depth, string and key lengths, keys per object.
//!
//! One walk over the parsed value; the JSON path of a problem is built only when there is
//! one, so valid events (nearly all of them) pay for no string formatting.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use serde_json::{Map, Value};

use super::{BatchLimits, Problem};

/// One step of a JSON path: a key or an array index.
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

/// Checks `event` against the shape limits; the problem's detail starts with its path.
pub(super) fn check_shape(event: &Map<String, Value>, limits: &BatchLimits) -> Result<(), Problem> {
    let mut path = Vec::new();
    walk_object(event, 1, &mut path, limits)
}

fn walk<'a>(
    value: &'a Value,
    depth: usize,
    path: &mut Vec<Step<'a>>,
    limits: &BatchLimits,
) -> Result<(), Problem> {
    match value {
        Value::String(s) if s.len() > limits.max_string_bytes => Err(Problem::new(
            "string_too_long",
            format!(
                "{}: a string of {} bytes; the limit is {} bytes",
                render(path),
                s.len(),
                limits.max_string_bytes
            ),
        )),
        Value::Array(items) => {
            check_depth(depth, path, limits)?;
            for (i, item) in items.iter().enumerate() {
                path.push(Step::Index(i));
                walk(item, depth + 1, path, limits)?;
                path.pop();
            }
            Ok(())
        }
        Value::Object(map) => walk_object(map, depth, path, limits),
        _ => Ok(()),
    }
}

fn walk_object<'a>(
    map: &'a Map<String, Value>,
    depth: usize,
    path: &mut Vec<Step<'a>>,
    limits: &BatchLimits,
) -> Result<(), Problem> {
    check_depth(depth, path, limits)?;
    if map.len() > limits.max_properties {
        return Err(Problem::new(
            "too_many_properties",
            format!(
                "{}: {} keys; the limit is {} per object",
                render(path),
                map.len(),
                limits.max_properties
            ),
        ));
    }
    for (key, item) in map {
        if key.len() > limits.max_key_bytes {
            return Err(Problem::new(
                "key_too_long",
                format!(
                    "{}: a key of {} bytes; the limit is {} bytes",
                    render(path),
                    key.len(),
                    limits.max_key_bytes
                ),
            ));
        }
        path.push(Step::Key(key));
        walk(item, depth + 1, path, limits)?;
        path.pop();
    }
    Ok(())
}

fn check_depth(depth: usize, path: &[Step<'_>], limits: &BatchLimits) -> Result<(), Problem> {
    if depth > limits.max_depth {
        return Err(Problem::new(
            "too_deep",
            format!(
                "{}: nested {} levels deep; the limit is {}",
                render(path),
                depth,
                limits.max_depth
            ),
        ));
    }
    Ok(())
}

/// `.properties.items[2].name`, the form every rejection reason uses.
fn render(path: &[Step<'_>]) -> String {
    let mut out = String::new();
    for step in path {
        match step {
            Step::Key(key) => {
                out.push('.');
                out.push_str(key);
            }
            Step::Index(i) => {
                out.push('[');
                crate::json::push_u64(&mut out, *i as u64);
                out.push(']');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn limits() -> BatchLimits {
        BatchLimits {
            max_depth: 3,
            max_string_bytes: 5,
            max_key_bytes: 4,
            max_properties: 2,
            ..BatchLimits::default()
        }
    }

    fn problem(value: Value) -> Option<(&'static str, String)> {
        check_shape(value.as_object().unwrap(), &limits())
            .err()
            .map(|p| (p.code, p.detail))
    }

    #[test]
    fn values_within_the_limits_pass() {
        assert_eq!(problem(json!({"a": {"b": [1, "12345"]}})), None);
    }

    #[test]
    fn each_limit_names_the_path_and_the_limit() {
        assert_eq!(
            problem(json!({"a": {"b": [[1]]}})),
            Some((
                "too_deep",
                ".a.b[0]: nested 4 levels deep; the limit is 3".into()
            ))
        );
        assert_eq!(
            problem(json!({"a": ["ok", "123456"]})),
            Some((
                "string_too_long",
                ".a[1]: a string of 6 bytes; the limit is 5 bytes".into()
            ))
        );
        assert_eq!(
            problem(json!({"a": {"x": 1, "y": 2, "z": 3}})),
            Some((
                "too_many_properties",
                ".a: 3 keys; the limit is 2 per object".into()
            ))
        );
        assert_eq!(
            problem(json!({"long_key": 1})),
            Some((
                "key_too_long",
                ": a key of 8 bytes; the limit is 4 bytes".into()
            ))
        );
    }
}
