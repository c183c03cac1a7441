//! Webhook relay: submissions get the proxy's own address as their webhook URL, so that each
//! event passes through the proxy (checked, recorded) on its way to the receiver the caller
//! named.

use std::{
    collections::{HashMap, VecDeque},
    sync::Mutex,
};

use serde_json::Value;

/// Receivers remembered at most; the oldest are forgotten first (their events then get 404).
pub const MAX_RECEIVERS: usize = 100_000;

/// Where relayed events arrive: `<public URL>/_proxy/webhooks/<token>`.
pub const RELAY_PREFIX: &str = "/_proxy/webhooks/";

pub struct Relay {
    public_url: String,
    receivers: Mutex<Receivers>,
}

#[derive(Default)]
struct Receivers {
    by_token: HashMap<String, String>,
    order: VecDeque<String>,
}

impl Relay {
    pub fn new(public_url: &str) -> Relay {
        Relay {
            public_url: public_url.trim_end_matches('/').to_string(),
            receivers: Mutex::new(Receivers::default()),
        }
    }

    /// Points `extra.webhook.url` of a submission at the proxy; returns whether it did. The
    /// token is random, so that nobody can guess the address of another task's receiver.
    pub fn rewrite(&self, body: &mut Value) -> bool {
        let Some(url) = body
            .pointer_mut("/extra/webhook/url")
            .filter(|url| url.as_str().is_some_and(|u| !u.trim().is_empty()))
        else {
            return false;
        };
        let token = format!("{:032x}", rand::random::<u128>());
        let original = url.as_str().unwrap_or_default().to_string();
        *url = Value::String(format!("{}{RELAY_PREFIX}{token}", self.public_url));
        let mut receivers = self.receivers.lock().unwrap_or_else(|e| e.into_inner());
        if receivers.order.len() >= MAX_RECEIVERS {
            if let Some(oldest) = receivers.order.pop_front() {
                receivers.by_token.remove(&oldest);
            }
        }
        receivers.order.push_back(token.clone());
        receivers.by_token.insert(token, original);
        true
    }

    /// The receiver a relay token stands for.
    pub fn receiver(&self, token: &str) -> Option<String> {
        let receivers = self.receivers.lock().unwrap_or_else(|e| e.into_inner());
        receivers.by_token.get(token).cloned()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_webhook_url_is_pointed_at_the_proxy() {
        let relay = Relay::new("https://proxy.example/");
        let mut body = json!({"extra": {"webhook": {"url": "https://me.example/hook"}}});
        assert!(relay.rewrite(&mut body));
        let url = body["extra"]["webhook"]["url"].as_str().unwrap();
        let token = url
            .strip_prefix("https://proxy.example/_proxy/webhooks/")
            .unwrap();
        assert_eq!(relay.receiver(token).unwrap(), "https://me.example/hook");
        assert!(relay.receiver("guess").is_none());
        let mut without = json!({"input": {"prompt": "x"}});
        assert!(!relay.rewrite(&mut without));
    }
}
