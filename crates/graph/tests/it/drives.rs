//! Drive and site resolution against the real emulator.

use crate::common;

use common::*;
use graphlink_graph::DriveRef;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_ids_and_sites_resolve_to_drives() {
    let env = start().await;
    let c = &env.client;
    let adele = guard("adele", c.drive(&DriveRef::User(ADELE.into())))
        .await
        .unwrap();
    assert!(adele.id().starts_with("b!"), "{}", adele.id());
    let megan = guard("megan", c.drive(&DriveRef::User(MEGAN.into())))
        .await
        .unwrap();
    assert_ne!(adele.id(), megan.id());
    let by_id = guard("by id", c.drive(&DriveRef::Id(adele.id().into())))
        .await
        .unwrap();
    assert_eq!(by_id.id(), adele.id());

    let site = |site: &str, library: Option<&str>| DriveRef::Site {
        site: site.into(),
        library: library.map(str::to_string),
    };
    let by_url = guard(
        "url",
        c.drive(&site("https://contoso.sharepoint.com/sites/Finance", None)),
    )
    .await
    .unwrap();
    let by_path = guard(
        "path",
        c.drive(&site("contoso.sharepoint.com:/sites/Finance", None)),
    )
    .await
    .unwrap();
    let by_name = guard("name", c.drive(&site("Finance", None)))
        .await
        .unwrap();
    assert_eq!(by_url.id(), by_path.id());
    assert_eq!(by_url.id(), by_name.id());
    let finance = guard(
        "site",
        c.site("https://contoso.sharepoint.com/sites/Finance"),
    )
    .await
    .unwrap();
    let by_site_id = guard("site id", c.drive(&site(&finance.id, None)))
        .await
        .unwrap();
    assert_eq!(by_site_id.id(), by_url.id());

    let invoices = guard("library", c.drive(&site("Finance", Some("invoices"))))
        .await
        .unwrap();
    assert_ne!(invoices.id(), by_url.id());
    assert_eq!(invoices.info().name.as_deref(), Some("Invoices"));
    let invoices_by_id = guard("library id", c.drive(&site("Finance", Some(invoices.id()))))
        .await
        .unwrap();
    assert_eq!(invoices_by_id.id(), invoices.id());
    let libs = guard("libraries", c.site_libraries(&finance))
        .await
        .unwrap();
    assert_eq!(libs.len(), 2);

    let root_site = guard(
        "root site",
        c.drive(&site("https://contoso.sharepoint.com", None)),
    )
    .await
    .unwrap();
    assert_ne!(root_site.id(), by_url.id());
    let by_title = guard(
        "title with a space",
        c.drive(&site("Communication site", None)),
    )
    .await
    .unwrap();
    assert_eq!(by_title.id(), root_site.id());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_sites_and_libraries_are_clear_errors() {
    let env = start().await;
    let c = &env.client;
    let err = guard(
        "unknown library",
        c.drive(&DriveRef::Site {
            site: "Finance".into(),
            library: Some("Receipts".into()),
        }),
    )
    .await
    .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("Receipts") && text.contains("Invoices"),
        "{text}"
    );
    let err = guard(
        "unknown site",
        c.drive(&DriveRef::Site {
            site: "Marketing".into(),
            library: None,
        }),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("Marketing"), "{err}");
    let err = guard(
        "unknown site url",
        c.drive(&DriveRef::Site {
            site: "https://contoso.sharepoint.com/sites/Nope".into(),
            library: None,
        }),
    )
    .await
    .unwrap_err();
    assert!(err.is_not_found(), "{err}");
    let err = guard(
        "unknown user",
        c.drive(&DriveRef::User("nobody@contoso.onmicrosoft.com".into())),
    )
    .await
    .unwrap_err();
    assert!(err.is_not_found(), "{err}");
}
