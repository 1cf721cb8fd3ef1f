//! `GET .../children`: `$top`, `$orderby` (name, lastModifiedDateTime, size), paged with an
//! absolute `@odata.nextLink`. Name order pages by key (stable while the folder changes).

use axum::http::StatusCode;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use super::context::Ctx;
use super::items::resolve;
use super::model::Item;
use super::path::{DriveSel, ItemAddr};
use super::render;
use super::reply::{json, Outcome};
use super::store::name_key;
use super::wire::Page;
use crate::web::GraphError;

/// Sort orders for children listings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Order {
    Name,
    Modified,
    Size,
}

fn parse_order(spec: Option<&str>) -> Result<(Order, bool), GraphError> {
    let Some(spec) = spec else {
        return Ok((Order::Name, false));
    };
    let mut words = spec.split_whitespace();
    let field = words.next().unwrap_or("name");
    let desc = words.next().is_some_and(|w| w.eq_ignore_ascii_case("desc"));
    let order = match field.to_ascii_lowercase().as_str() {
        "name" => Order::Name,
        "lastmodifieddatetime" => Order::Modified,
        "size" => Order::Size,
        other => {
            return Err(GraphError::bad_request(format!(
                "Ordering by '{other}' is not supported."
            )))
        }
    };
    Ok((order, desc))
}

/// Lists a folder's children: `$top`, `$orderby` (name, lastModifiedDateTime, size), paged with an
/// absolute `@odata.nextLink`.
pub fn list(ctx: &Ctx, drive: &DriveSel, addr: &ItemAddr) -> Outcome {
    let store = ctx.graph().read();
    let drive_id = ctx.drive_id(&store, drive, false)?;
    let d = store.drive(&drive_id)?;
    let folder = resolve(d, addr)?;
    if !folder.is_folder() {
        return Ok(json(StatusCode::OK, &Page::<()>::all(Vec::new())));
    }
    let top = match ctx.q("$top") {
        Some(t) => t
            .parse::<usize>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| GraphError::bad_request(format!("Invalid $top '{t}'.")))?
            .min(10_000),
        None => ctx.state.settings().page_size.max(1),
    };
    let (order, desc) = parse_order(ctx.q("$orderby"))?;
    let skip = ctx
        .q("$skiptoken")
        .map(|t| {
            URL_SAFE_NO_PAD
                .decode(t)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| GraphError::bad_request("Invalid $skiptoken."))
        })
        .transpose()?;
    let (ids, next): (Vec<&String>, Option<String>) = match order {
        Order::Name => {
            // Keyset paging on the lower-cased name: stable while the folder changes.
            let after = skip.as_deref().and_then(|s| s.strip_prefix("n:"));
            let iter: Box<dyn Iterator<Item = (&String, &String)>> = match (after, desc) {
                (None, false) => Box::new(folder.children.iter()),
                (None, true) => Box::new(folder.children.iter().rev()),
                (Some(k), false) => {
                    Box::new(folder.children.range::<str, _>((
                        std::ops::Bound::Excluded(k),
                        std::ops::Bound::Unbounded,
                    )))
                }
                (Some(k), true) => Box::new(
                    folder
                        .children
                        .range::<str, _>((std::ops::Bound::Unbounded, std::ops::Bound::Excluded(k)))
                        .rev(),
                ),
            };
            let mut page: Vec<(&String, &String)> = iter.take(top + 1).collect();
            let more = page.len() > top;
            page.truncate(top);
            let next = more
                .then(|| page.last().map(|(k, _)| format!("n:{k}")))
                .flatten();
            (page.into_iter().map(|(_, id)| id).collect(), next)
        }
        Order::Modified | Order::Size => {
            let offset: usize = skip
                .as_deref()
                .and_then(|s| s.strip_prefix("o:"))
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            let mut all: Vec<&Item> = folder
                .children
                .values()
                .filter_map(|id| d.items.get(id))
                .collect();
            all.sort_by(|a, b| {
                let key = |i: &Item| match order {
                    Order::Size => i.size() as i128,
                    _ => i.modified as i128,
                };
                key(a)
                    .cmp(&key(b))
                    .then_with(|| name_key(&a.name).cmp(&name_key(&b.name)))
            });
            if desc {
                all.reverse();
            }
            let end = offset.saturating_add(top).min(all.len());
            let page: Vec<&String> = all
                .get(offset.min(all.len())..end)
                .unwrap_or_default()
                .iter()
                .map(|i| &i.id)
                .collect();
            let next = (end < all.len()).then(|| format!("o:{end}"));
            (page, next)
        }
    };
    let r = ctx.render();
    let value = ids
        .into_iter()
        .filter_map(|id| d.items.get(id))
        .map(|i| render::item(&r, d, i, false))
        .collect();
    let next_link = next.map(|token| {
        let mut q = vec![("$top".to_string(), top.to_string())];
        if let Some(o) = ctx.q("$orderby") {
            q.push(("$orderby".into(), o.to_string()));
        }
        q.push(("$skiptoken".into(), URL_SAFE_NO_PAD.encode(token)));
        let qs = serde_urlencoded::to_string(&q).unwrap_or_default();
        ctx.url(&format!(
            "/drives/{}/items/{}/children?{qs}",
            drive_id, folder.id
        ))
    });
    Ok(json(
        StatusCode::OK,
        &Page {
            value,
            next_link,
            delta_link: None,
        },
    ))
}
