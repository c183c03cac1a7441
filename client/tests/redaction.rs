//! The API key never shows in `{:?}` of a public type that holds it.

use novita_video::NovitaClient;

const KEY: &str = "sk-live-0123456789abcdef-SECRET";

fn assert_hidden(debug: &str) {
    assert!(!debug.contains(KEY), "the key leaked: {debug}");
    assert!(!debug.contains("SECRET"), "part of the key leaked: {debug}");
    assert!(
        !debug.contains("0123456789"),
        "part of the key leaked: {debug}"
    );
}

#[test]
fn the_builder_shows_that_a_key_is_set_but_not_the_key() {
    let builder = NovitaClient::builder()
        .api_key(KEY)
        .base_url("http://127.0.0.1:8080");
    for debug in [format!("{builder:?}"), format!("{builder:#?}")] {
        assert_hidden(&debug);
    }
    let debug = format!("{builder:?}");
    assert!(debug.contains(r#"api_key: Some("<redacted>")"#), "{debug}");
    assert!(debug.contains("http://127.0.0.1:8080"), "{debug}");
    let without = format!("{:?}", NovitaClient::builder());
    assert!(without.contains("api_key: None"), "{without}");
}

#[test]
fn the_client_and_its_generated_client_hide_the_key() {
    let client = NovitaClient::builder()
        .api_key(KEY)
        .base_url("http://127.0.0.1:8080")
        .build()
        .unwrap();
    for debug in [
        format!("{client:?}"),
        format!("{client:#?}"),
        format!("{:?}", client.api()),
        format!("{:#?}", client.api()),
        format!("{:?}", client.clone()),
    ] {
        assert_hidden(&debug);
    }
    assert!(format!("{client:?}").contains(r#"api_key: "<redacted>""#));
}

#[test]
fn a_builder_from_the_environment_hides_the_key_too() {
    // Set for this process only; no other test of this binary reads the variable.
    std::env::set_var(novita_video::API_KEY_ENV, KEY);
    let builder = NovitaClient::builder_from_env();
    std::env::remove_var(novita_video::API_KEY_ENV);
    assert_hidden(&format!("{builder:?}"));
    assert_hidden(&format!("{:?}", builder.build().unwrap()));
}
