//! Reading and checking the fields of a JSON request body, with Novita-style errors that name
//! the field and the rule. Unknown fields are ignored, as Novita does.

use crate::{
    novita_error::NovitaError,
    rules::json::{Json, Members},
};

pub type Checked<T> = Result<T, NovitaError>;

/// The fields of one JSON object of a request, `prefix` naming where it sits (`input.`).
pub struct Fields<'a> {
    map: &'a Members<'a>,
    prefix: String,
}

impl<'a> Fields<'a> {
    pub fn root(value: &'a Json<'a>) -> Checked<Self> {
        match value {
            Json::Object(map) => Ok(Fields {
                map,
                prefix: String::new(),
            }),
            _ => Err(NovitaError::invalid_body("body", "must be a JSON object")),
        }
    }

    pub fn name(&self, field: &str) -> String {
        format!("{}{field}", self.prefix)
    }

    /// The field, absent when missing. An explicit `null` is not absence: it reaches the type
    /// checks and is refused there, as the schemas allow no nulls.
    fn get(&self, field: &str) -> Option<&'a Json<'a>> {
        self.map.get(field)
    }

    /// The field's value as sent.
    pub fn raw(&self, field: &str) -> Option<&'a Json<'a>> {
        self.get(field)
    }

    pub fn object(&self, field: &str) -> Checked<Option<Fields<'a>>> {
        match self.get(field) {
            None => Ok(None),
            Some(Json::Object(map)) => Ok(Some(Fields {
                map,
                prefix: format!("{}{field}.", self.prefix),
            })),
            Some(_) => Err(NovitaError::invalid_body(
                &self.name(field),
                "must be an object",
            )),
        }
    }

    pub fn required_object(&self, field: &str) -> Checked<Fields<'a>> {
        self.object(field)?
            .ok_or_else(|| NovitaError::invalid_body(&self.name(field), "is required"))
    }

    /// A string of `min..=max` characters (Novita counts characters, not bytes).
    pub fn string(&self, field: &str, min: usize, max: Option<usize>) -> Checked<Option<&'a str>> {
        let Some(value) = self.get(field) else {
            return Ok(None);
        };
        let text = value
            .as_str()
            .ok_or_else(|| NovitaError::invalid_body(&self.name(field), "must be a string"))?;
        let length = text.chars().count();
        let too_long = max.is_some_and(|m| length > m);
        if length < min || too_long {
            let rule = match max {
                Some(max) => {
                    format!("length must be between {min} and {max} characters (got {length})")
                }
                None => format!("length must be at least {min} characters (got {length})"),
            };
            return Err(NovitaError::invalid_body(&self.name(field), rule));
        }
        Ok(Some(text))
    }

    pub fn required_string(&self, field: &str, min: usize, max: Option<usize>) -> Checked<&'a str> {
        self.string(field, min, max)?
            .ok_or_else(|| NovitaError::invalid_body(&self.name(field), "is required"))
    }

    pub fn integer(&self, field: &str, min: i64, max: i64) -> Checked<Option<i64>> {
        let Some(value) = self.get(field) else {
            return Ok(None);
        };
        // As JSON Schema reads `type: integer` (and so the spec, the client and schemathesis),
        // 480.0 is the integer 480; 480.5 is not an integer.
        let number = value
            .as_i64()
            .or_else(|| {
                value
                    .as_f64()
                    .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                    .map(|f| f as i64)
            })
            .or_else(|| value.as_u64().map(|_| i64::MAX))
            .ok_or_else(|| NovitaError::invalid_body(&self.name(field), "must be an integer"))?;
        if number < min || number > max {
            return Err(NovitaError::invalid_body(
                &self.name(field),
                format!("must be between {min} and {max} (got {number})"),
            ));
        }
        Ok(Some(number))
    }

    pub fn integer_in(&self, field: &str, allowed: &[i64]) -> Checked<Option<i64>> {
        let Some(number) = self.integer(field, i64::MIN, i64::MAX)? else {
            return Ok(None);
        };
        if !allowed.contains(&number) {
            return Err(NovitaError::invalid_body(
                &self.name(field),
                format!("must be one of {} (got {number})", list(allowed)),
            ));
        }
        Ok(Some(number))
    }

    pub fn number(&self, field: &str, min: f64, max: f64) -> Checked<Option<f64>> {
        let Some(value) = self.get(field) else {
            return Ok(None);
        };
        let number = value
            .as_f64()
            .ok_or_else(|| NovitaError::invalid_body(&self.name(field), "must be a number"))?;
        if !(min..=max).contains(&number) {
            return Err(NovitaError::invalid_body(
                &self.name(field),
                format!("must be between {min} and {max} (got {number})"),
            ));
        }
        Ok(Some(number))
    }

    pub fn boolean(&self, field: &str) -> Checked<Option<bool>> {
        match self.get(field) {
            None => Ok(None),
            Some(Json::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(NovitaError::invalid_body(
                &self.name(field),
                "must be a boolean",
            )),
        }
    }

    pub fn one_of(&self, field: &str, allowed: &[&str]) -> Checked<Option<&'a str>> {
        let Some(text) = self.string(field, 0, None)? else {
            return Ok(None);
        };
        if !allowed.contains(&text) {
            return Err(NovitaError::invalid_body(
                &self.name(field),
                format!("must be one of {} (got {text:?})", allowed.join(", ")),
            ));
        }
        Ok(Some(text))
    }

    pub fn array_between<T>(
        &self,
        field: &str,
        min: usize,
        max: usize,
        mut item: impl FnMut(Fields<'a>) -> Checked<T>,
    ) -> Checked<Vec<T>> {
        let Some(value) = self.get(field) else {
            return Ok(Vec::new());
        };
        let items = value
            .as_array()
            .ok_or_else(|| NovitaError::invalid_body(&self.name(field), "must be an array"))?;
        if items.len() < min {
            return Err(NovitaError::invalid_body(
                &self.name(field),
                format!("at least {min} items are needed (got {})", items.len()),
            ));
        }
        if items.len() > max {
            return Err(NovitaError::invalid_body(
                &self.name(field),
                format!("at most {max} items are supported (got {})", items.len()),
            ));
        }
        items
            .iter()
            .enumerate()
            .map(|(index, value)| match value {
                Json::Object(map) => item(Fields {
                    map,
                    prefix: format!("{}{field}[{index}].", self.prefix),
                }),
                _ => Err(NovitaError::invalid_body(
                    &format!("{}{field}[{index}]", self.prefix),
                    "must be an object",
                )),
            })
            .collect()
    }
}

/// "a, b or c", as a message lists the choices.
pub fn choices(names: &[String]) -> String {
    match names.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

fn list(values: &[i64]) -> String {
    values
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}
