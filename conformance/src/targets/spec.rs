//! The spec's lists of names and its rules across fields (`x-novita-rules`), as the
//! generators read them.

use serde_json::Value;

pub fn names(list: &Value) -> Vec<&str> {
    list.as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect()
}

pub fn rules(schema: &Value) -> impl Iterator<Item = (&str, Vec<String>, &Value)> {
    schema["x-novita-rules"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|rule| {
            let fields = names(&rule["fields"])
                .into_iter()
                .map(str::to_string)
                .collect();
            (rule["rule"].as_str().unwrap_or_default(), fields, rule)
        })
}
