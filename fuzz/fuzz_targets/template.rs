//! A labeling template (TOML) from any bytes: parsing never panics, and an accepted template
//! written back as TOML parses again to the same template (same JSON description).
#![no_main]

use libfuzzer_sys::fuzz_target;
use sift_template::parse_template;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(template) = parse_template(text, "fuzz.toml") else {
        return;
    };
    let _ = template.fields();
    let _ = template.gt_type();
    let written = template
        .to_toml_string()
        .expect("an accepted template can be written");
    let again = parse_template(&written, "fuzz.toml")
        .unwrap_or_else(|e| panic!("the written template does not parse: {e:?}\n{written}"));
    assert_eq!(
        again.to_json(),
        template.to_json(),
        "the TOML round trip changed the template"
    );
});
