//! The scenarios of the presence guide (Homer, Marge and Lisa), as transcripts from the model
//! and from the core. Both must match the same reviewed snapshot under `snapshots/`.

use rollcall::core::Core;
use rollcall_conformance::transcript::{render, Scenario};
use rollcall_model::Model;

/// Renders `scenario` from both implementations, checks they agree, and snapshots the text.
fn check(name: &str, scenario: Scenario) {
    let from_model = render(&scenario, &mut Model::default());
    let from_core = render(&scenario, &mut Core::default());
    assert_eq!(
        from_model, from_core,
        "the model and the core tell {name} differently"
    );
    insta::assert_snapshot!(name, from_model);
}

fn family() -> Scenario {
    Scenario::new()
        .login("homer", "Homer")
        .login("marge", "Marge")
        .login("lisa", "Lisa")
}

#[test]
fn get_all() {
    check(
        "get_all",
        family()
            .login("bart", "Bart")
            .get_all("bart")
            .get_all("homer"),
    );
}

#[test]
fn get_all_of_named_users() {
    let scenario = Scenario::new()
        .login("homer", "Homer")
        .login("marge", "Marge")
        .login("client", "Bart")
        .get_all_of("client", &["Homer", "Marge", "Lisa"]);
    check("get_all_of_named_users", scenario);
}

#[test]
fn subscribe_to_all() {
    let scenario = Scenario::new()
        .login("client-a", "Bart")
        .subscribe_all("client-a")
        .login("homer", "Homer")
        .login("marge", "Marge")
        .close("homer");
    check("subscribe_to_all", scenario);
}

#[test]
fn subscribe_to_marge() {
    let scenario = Scenario::new()
        .login("client-a", "Bart")
        .subscribe("client-a", "Marge")
        .login("homer", "Homer")
        .login("marge", "Marge")
        .close("marge");
    check("subscribe_to_marge", scenario);
}

#[test]
fn one_user_on_two_devices() {
    let scenario = Scenario::new()
        .login("client-a", "Bart")
        .subscribe_all("client-a")
        .subscribe("client-a", "Marge")
        .login("marge-laptop", "Marge")
        .login("marge-phone", "Marge")
        .get_all("client-a")
        .close("marge-laptop")
        .get_all_of("client-a", &["Marge"])
        .close("marge-phone");
    check("one_user_on_two_devices", scenario);
}

#[test]
fn unsubscribe() {
    let scenario = family()
        .login("client-a", "Bart")
        .subscribe_all("client-a")
        .subscribe("client-a", "Marge")
        .unsubscribe("client-a", "Marge")
        .close("marge")
        .unsubscribe_all("client-a")
        .close("lisa");
    check("unsubscribe", scenario);
}
