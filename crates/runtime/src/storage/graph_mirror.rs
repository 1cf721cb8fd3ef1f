//! The mirror of a listed drive folder: its files and sub-folders by item id, built from a
//! full listing and kept current with delta items, so a poll after a change costs the delta
//! request(s) only. Pure logic (no requests): [`super::GraphStorage`] feeds it
//! [`DriveItem`]s and asks it for listings.
//!
//! The mirror keeps what a listing needs (parent id, name, and for files the [`Entry`] data)
//! and computes paths by walking parent ids up to the listed folder. It becomes *stale* (the
//! owner must list the folder again) when it cannot know the folder's content from delta
//! alone: a folder arrives from elsewhere with children delta does not report, or the listed
//! folder itself (or one of its parents) is moved, renamed or deleted.

use std::collections::{HashMap, HashSet};
use std::time::SystemTime;

use graphlink_graph::DriveItem;

use super::Entry;
use crate::naming::join;

/// The [`Entry`] a listing gives for the file `item` at `path`.
pub(super) fn entry(path: String, item: &DriveItem) -> Entry {
    FileData::of(item).entry(path, &item.id)
}

/// A file's data as a listing reports it (all of [`Entry`] but the path and id).
#[derive(Debug, Clone, PartialEq, Eq)]
struct FileData {
    size: u64,
    modified: SystemTime,
    hash: Option<String>,
    quick_xor: Option<String>,
}

impl FileData {
    fn of(item: &DriveItem) -> Self {
        let quick_xor = item.quick_xor_hash().map(str::to_string);
        let hash = quick_xor.clone().or_else(|| item.c_tag.clone());
        Self {
            size: item.size.unwrap_or(0),
            modified: item
                .last_modified_date_time
                .map(SystemTime::from)
                .unwrap_or(SystemTime::UNIX_EPOCH),
            hash,
            quick_xor,
        }
    }

    fn entry(&self, path: String, id: &str) -> Entry {
        Entry {
            path,
            size: self.size,
            modified: self.modified,
            id: Some(id.to_string()),
            hash: self.hash.clone(),
            quick_xor_hash: self.quick_xor.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Folder,
    File(FileData),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Node {
    parent: String,
    name: String,
    kind: Kind,
}

/// The listed folder or one of its parents as the listing found it: if delta reports it
/// elsewhere, under another name or deleted, the listed path no longer means this subtree.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Anchor {
    parent: Option<String>,
    name: Option<String>,
}

/// A listed folder's subtree by item id (see the module documentation).
#[derive(Debug)]
pub(super) struct Mirror {
    /// The listed folder's path (normalised).
    dir: String,
    /// The listed folder's item id.
    dir_id: String,
    /// Whether sub-folders are mirrored (else only the folder's direct files).
    recursive: bool,
    /// The listed folder and its parents (the drive root excepted) by id.
    anchors: HashMap<String, Anchor>,
    nodes: HashMap<String, Node>,
    /// Child ids by folder id (the listed folder included).
    children: HashMap<String, HashSet<String>>,
    /// Folders new to the mirror in the current delta round, with the child count they
    /// reported: their children must all show up in the same round.
    arrived: HashMap<String, Option<u64>>,
    stale: bool,
}

impl Mirror {
    /// An empty mirror of the folder at `dir`; `chain` is the folder items from the top of the
    /// path down to the folder itself (the last one; the drive root may be included). With
    /// `recursive` false only the folder's direct files are mirrored.
    pub(super) fn new(dir: &str, chain: &[DriveItem], recursive: bool) -> Self {
        let dir_id = chain.last().map(|i| i.id.clone()).unwrap_or_default();
        let anchors = chain
            .iter()
            .filter(|i| i.root.is_none())
            .map(|i| (i.id.clone(), anchor(i)))
            .collect();
        Self {
            dir: dir.to_string(),
            dir_id,
            recursive,
            anchors,
            nodes: HashMap::new(),
            children: HashMap::new(),
            arrived: HashMap::new(),
            stale: false,
        }
    }

    /// Adds an item the listing found below the folder (folders before their content).
    /// Returns false when the item does not say its parent (the mirror cannot be trusted).
    pub(super) fn add_listed(&mut self, item: &DriveItem) -> bool {
        let Some(parent) = parent_id(item) else {
            return false;
        };
        if let (true, Some(kind)) = (self.is_folder(parent), self.kind_of(item)) {
            self.put(&item.id, parent, name(item), kind);
        }
        true
    }

    /// Applies one delta item; returns whether the mirror changed. Items outside the folder
    /// are ignored unless the mirror knew them (moved out: removed). Call
    /// [`Mirror::end_round`] after the last item of a delta round.
    pub(super) fn apply(&mut self, item: &DriveItem) -> bool {
        let id = item.id.as_str();
        if let Some(a) = self.anchors.get(id) {
            let moved = item.deleted.is_some() || anchor(item).differs_from(a);
            self.stale |= moved;
            return moved;
        }
        if id == self.dir_id {
            return false;
        }
        let parent = parent_id(item).filter(|p| item.deleted.is_none() && self.is_folder(p));
        let (Some(parent), Some(kind)) = (parent, self.kind_of(item)) else {
            return self.remove(id);
        };
        let kind = match kind {
            Kind::File(mut data) => {
                if data.hash.is_none() {
                    // Delta may leave out the cTag: keep the listed one if the file is the same.
                    if let Some(Kind::File(old)) = self.nodes.get(id).map(|n| &n.kind) {
                        if (old.size, old.modified) == (data.size, data.modified) {
                            data.hash = old.hash.clone();
                        }
                    }
                }
                Kind::File(data)
            }
            Kind::Folder => {
                if !self.nodes.contains_key(id) {
                    let count = item.folder.as_ref().and_then(|f| f.child_count);
                    self.arrived.insert(id.to_string(), count);
                }
                Kind::Folder
            }
        };
        self.put(id, parent, name(item), kind)
    }

    /// Ends a delta round: a folder that arrived in it (created, or moved in from outside)
    /// whose children did not all show up in the round was moved in with content delta does
    /// not report, so the mirror becomes stale. Returns whether it did.
    pub(super) fn end_round(&mut self) -> bool {
        let arrived = std::mem::take(&mut self.arrived);
        let incomplete = arrived.into_iter().any(|(id, count)| {
            let seen = self.children.get(&id).map_or(0, |c| c.len() as u64);
            self.nodes.contains_key(&id) && count.is_none_or(|n| seen < n)
        });
        self.stale |= incomplete;
        incomplete
    }

    /// Whether the folder must be listed again before the mirror can answer.
    pub(super) fn is_stale(&self) -> bool {
        self.stale
    }

    /// Whether the mirror can answer a listing (with sub-folders when `recursive`).
    pub(super) fn can_answer(&self, recursive: bool) -> bool {
        !self.stale && (self.recursive || !recursive)
    }

    /// The files, as [`super::Storage::list`] gives them (sorted by path): all of the subtree
    /// when `recursive`, else the folder's direct files.
    pub(super) fn list(&self, recursive: bool) -> Vec<Entry> {
        let mut paths: HashMap<String, String> = HashMap::new();
        let mut out: Vec<Entry> = self
            .nodes
            .iter()
            .filter_map(|(id, node)| {
                let Kind::File(data) = &node.kind else {
                    return None;
                };
                if !recursive && node.parent != self.dir_id {
                    return None;
                }
                let folder = self.folder_path(&node.parent, &mut paths)?;
                Some(data.entry(join(&folder, &node.name), id))
            })
            .collect();
        out.sort_by(|a, b| a.path.cmp(&b.path));
        out
    }

    /// Whether `path` (normalised) is the folder or below it.
    pub(super) fn covers(&self, path: &str) -> bool {
        self.relative(path).is_some()
    }

    /// Forgets the item at `path` (normalised), and what is below it, until delta reports it
    /// again: for an item this storage just moved, deleted or overwrote. Forgetting the folder
    /// itself makes the mirror stale. Returns whether anything was forgotten.
    pub(super) fn forget(&mut self, path: &str) -> bool {
        let Some(rel) = self.relative(path) else {
            return false;
        };
        if rel.is_empty() {
            self.stale = true;
            return true;
        }
        let mut current = self.dir_id.clone();
        for part in rel.split('/') {
            let wanted = part.to_lowercase();
            let found = self.children.get(&current).and_then(|c| {
                c.iter()
                    .find(|id| self.nodes[*id].name.to_lowercase() == wanted)
                    .cloned()
            });
            match found {
                Some(id) => current = id,
                None => return false,
            }
        }
        self.remove(&current)
    }

    fn relative<'p>(&self, path: &'p str) -> Option<&'p str> {
        if self.dir.is_empty() {
            return Some(path);
        }
        match path.strip_prefix(self.dir.as_str())? {
            "" => Some(""),
            rest => rest.strip_prefix('/'),
        }
    }

    fn is_folder(&self, id: &str) -> bool {
        id == self.dir_id || self.nodes.get(id).is_some_and(|n| n.kind == Kind::Folder)
    }

    /// What the mirror keeps of `item`, if anything.
    fn kind_of(&self, item: &DriveItem) -> Option<Kind> {
        if item.file.is_some() {
            Some(Kind::File(FileData::of(item)))
        } else if item.folder.is_some() && self.recursive {
            Some(Kind::Folder)
        } else {
            None
        }
    }

    /// Inserts or updates a node; returns whether it changed.
    fn put(&mut self, id: &str, parent: &str, name: String, kind: Kind) -> bool {
        let node = Node {
            parent: parent.to_string(),
            name,
            kind,
        };
        if let Some(old) = self.nodes.get(id) {
            if *old == node {
                return false;
            }
            let old_parent = old.parent.clone();
            self.unlink(id, &old_parent);
        }
        self.children
            .entry(node.parent.clone())
            .or_default()
            .insert(id.to_string());
        self.nodes.insert(id.to_string(), node);
        true
    }

    fn unlink(&mut self, id: &str, parent: &str) {
        if let Some(siblings) = self.children.get_mut(parent) {
            siblings.remove(id);
            if siblings.is_empty() {
                self.children.remove(parent);
            }
        }
    }

    /// Removes a node and its subtree; returns whether it was known.
    fn remove(&mut self, id: &str) -> bool {
        let Some(node) = self.nodes.remove(id) else {
            return false;
        };
        self.unlink(id, &node.parent);
        let mut pending = vec![id.to_string()];
        while let Some(folder) = pending.pop() {
            for child in self.children.remove(&folder).unwrap_or_default() {
                self.nodes.remove(&child);
                pending.push(child);
            }
        }
        true
    }

    /// The path of folder `id` (memoised in `paths`); `None` for a folder not in the mirror.
    fn folder_path(&self, id: &str, paths: &mut HashMap<String, String>) -> Option<String> {
        let mut chain: Vec<&str> = Vec::new();
        let mut current = id;
        let mut path = loop {
            if current == self.dir_id {
                break self.dir.clone();
            }
            if let Some(p) = paths.get(current) {
                break p.clone();
            }
            let node = self.nodes.get(current)?;
            if chain.len() > self.nodes.len() {
                return None;
            }
            chain.push(current);
            current = &node.parent;
        };
        for folder in chain.into_iter().rev() {
            path = join(&path, &self.nodes[folder].name);
            paths.insert(folder.to_string(), path.clone());
        }
        Some(path)
    }
}

impl Anchor {
    fn differs_from(&self, listed: &Anchor) -> bool {
        self.parent != listed.parent || (self.name.is_some() && self.name != listed.name)
    }
}

fn anchor(item: &DriveItem) -> Anchor {
    Anchor {
        parent: parent_id(item).map(str::to_string),
        name: item.name.clone(),
    }
}

fn parent_id(item: &DriveItem) -> Option<&str> {
    item.parent_reference.as_ref().and_then(|p| p.id.as_deref())
}

fn name(item: &DriveItem) -> String {
    item.name.clone().unwrap_or_else(|| item.id.clone())
}

#[cfg(test)]
mod tests {
    use graphlink_graph::wire::{Deleted, FileFacet, FolderFacet, Hashes, ItemReference};

    use super::*;

    fn item(id: &str, parent: &str, name: &str) -> DriveItem {
        DriveItem {
            id: id.into(),
            name: Some(name.into()),
            parent_reference: Some(ItemReference {
                id: Some(parent.into()),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn file(id: &str, parent: &str, name: &str, size: u64) -> DriveItem {
        DriveItem {
            size: Some(size),
            file: Some(FileFacet {
                hashes: Some(Hashes {
                    quick_xor_hash: Some(format!("h{id}-{size}")),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..item(id, parent, name)
        }
    }

    fn folder(id: &str, parent: &str, name: &str, children: u64) -> DriveItem {
        DriveItem {
            folder: Some(FolderFacet {
                child_count: Some(children),
            }),
            ..item(id, parent, name)
        }
    }

    fn deleted(mut i: DriveItem) -> DriveItem {
        i.name = None;
        i.deleted = Some(Deleted::default());
        i
    }

    fn paths(m: &Mirror, recursive: bool) -> Vec<String> {
        m.list(recursive).into_iter().map(|e| e.path).collect()
    }

    /// `in` (id D, under `top` T, under the root R) with `a.txt`, `sub/b.txt`, `sub/deep/c.txt`.
    fn mirror(recursive: bool) -> Mirror {
        let mut root = folder("R", "", "root", 1);
        root.parent_reference = None;
        root.root = Some(serde_json::json!({}));
        let chain = [root, folder("T", "R", "top", 1), folder("D", "T", "in", 2)];
        let mut m = Mirror::new("top/in", &chain, recursive);
        for i in [
            file("a", "D", "a.txt", 1),
            folder("S", "D", "sub", 2),
            file("b", "S", "b.txt", 2),
            folder("E", "S", "deep", 1),
            file("c", "E", "c.txt", 3),
        ] {
            assert!(m.add_listed(&i));
        }
        m
    }

    fn round(m: &mut Mirror, items: &[DriveItem]) -> bool {
        let changed = items.iter().fold(false, |c, i| m.apply(i) | c);
        m.end_round();
        changed
    }

    #[test]
    fn lists_like_the_walk() {
        let m = mirror(true);
        assert_eq!(
            paths(&m, true),
            ["top/in/a.txt", "top/in/sub/b.txt", "top/in/sub/deep/c.txt"]
        );
        assert_eq!(paths(&m, false), ["top/in/a.txt"]);
        let listed = file("b", "S", "b.txt", 2);
        assert_eq!(
            m.list(true)[1],
            entry("top/in/sub/b.txt".into(), &listed),
            "same Entry as a listing"
        );
        let shallow = mirror(false);
        assert_eq!(paths(&shallow, false), ["top/in/a.txt"]);
        assert!(!shallow.can_answer(true) && shallow.can_answer(false));
    }

    #[test]
    fn applies_new_changed_deleted_and_moved_files() {
        let mut m = mirror(true);
        let changed = round(
            &mut m,
            &[
                file("n", "S", "new.txt", 5),
                file("a", "D", "a.txt", 9),
                deleted(file("b", "S", "", 0)),
                file("c", "elsewhere", "c.txt", 3),
            ],
        );
        assert!(changed && !m.is_stale());
        assert_eq!(paths(&m, true), ["top/in/a.txt", "top/in/sub/new.txt"]);
        assert_eq!(m.list(true)[0].size, 9);
        // Seen again: no change.
        assert!(!round(&mut m, &[file("a", "D", "a.txt", 9)]));
        // Renamed and moved inside the folder.
        assert!(round(&mut m, &[file("a", "E", "renamed.txt", 9)]));
        assert_eq!(
            paths(&m, true),
            ["top/in/sub/deep/renamed.txt", "top/in/sub/new.txt"]
        );
    }

    #[test]
    fn ignores_changes_elsewhere() {
        let mut m = mirror(true);
        let changed = round(
            &mut m,
            &[
                file("x", "T", "x.txt", 1),
                folder("R", "", "root", 3),
                folder("T", "R", "top", 2),
                folder("D", "T", "in", 2),
                folder("F", "R", "other", 0),
                deleted(file("y", "F", "", 0)),
            ],
        );
        assert!(!changed && !m.is_stale());
        assert_eq!(paths(&m, true).len(), 3);
    }

    #[test]
    fn folders_renamed_moved_out_or_deleted() {
        let mut m = mirror(true);
        assert!(round(&mut m, &[folder("S", "D", "renamed", 2)]));
        assert_eq!(
            paths(&m, true),
            [
                "top/in/a.txt",
                "top/in/renamed/b.txt",
                "top/in/renamed/deep/c.txt"
            ]
        );
        assert!(round(&mut m, &[folder("E", "T", "deep", 1)]));
        assert_eq!(paths(&m, true), ["top/in/a.txt", "top/in/renamed/b.txt"]);
        // Its content is forgotten: a change to it later is outside.
        assert!(!round(&mut m, &[file("c", "E", "c.txt", 4)]));
        assert!(round(&mut m, &[deleted(folder("S", "D", "", 0))]));
        assert_eq!(paths(&m, true), ["top/in/a.txt"]);
        assert!(!m.is_stale());
    }

    #[test]
    fn created_folders_are_complete_moved_in_folders_are_not() {
        let mut m = mirror(true);
        // Created and filled: its content shows up in the same round.
        let changed = round(
            &mut m,
            &[
                folder("N", "D", "new", 2),
                file("n1", "N", "1.txt", 1),
                folder("M", "N", "inner", 0),
            ],
        );
        assert!(changed && !m.is_stale());
        assert_eq!(paths(&m, true).len(), 4);
        // Moved in with content delta does not report.
        assert!(round(&mut m, &[folder("O", "D", "old", 5)]));
        assert!(m.is_stale() && !m.can_answer(true));
        // No child count: cannot tell.
        let mut m = mirror(true);
        let mut unknown = folder("U", "D", "u", 0);
        unknown.folder = Some(FolderFacet { child_count: None });
        round(&mut m, &[unknown]);
        assert!(m.is_stale());
    }

    #[test]
    fn the_folder_or_a_parent_moving_makes_it_stale() {
        for moved in [
            folder("D", "T", "renamed", 2),
            folder("D", "R", "in", 2),
            deleted(folder("D", "T", "", 0)),
            folder("T", "R", "top2", 1),
        ] {
            let mut m = mirror(true);
            assert!(round(&mut m, std::slice::from_ref(&moved)), "{moved:?}");
            assert!(m.is_stale(), "{moved:?}");
        }
    }

    #[test]
    fn shallow_mirror_keeps_direct_files_only() {
        let mut m = mirror(false);
        let changed = round(
            &mut m,
            &[folder("O", "D", "old", 5), file("b", "S", "b.txt", 2)],
        );
        assert!(!changed && !m.is_stale());
        assert!(round(&mut m, &[file("b", "D", "b.txt", 2)]));
        assert_eq!(paths(&m, false), ["top/in/a.txt", "top/in/b.txt"]);
        assert!(round(&mut m, &[file("a", "S", "a.txt", 1)]));
        assert_eq!(paths(&m, false), ["top/in/b.txt"]);
    }

    #[test]
    fn forgets_what_the_storage_moved() {
        let mut m = mirror(true);
        assert!(!m.covers("top/inbox/a.txt") && m.covers("top/in/x") && m.covers("top/in"));
        assert!(m.forget("top/in/SUB/b.txt"));
        assert!(!m.forget("top/in/sub/b.txt"));
        assert!(!m.forget("top/other/a.txt"));
        assert_eq!(paths(&m, true), ["top/in/a.txt", "top/in/sub/deep/c.txt"]);
        // Delta reports it again at its new place.
        assert!(round(&mut m, &[file("b", "D", "b.txt", 2)]));
        assert_eq!(paths(&m, true).len(), 3);
        assert!(m.forget("top/in") && m.is_stale());
    }

    #[test]
    fn keeps_the_listed_hash_when_delta_has_none() {
        let mut m = mirror(true);
        let mut listed = item("t", "D", "t.txt");
        listed.file = Some(FileFacet::default());
        listed.c_tag = Some("ctag".into());
        m.add_listed(&listed);
        let mut seen = listed.clone();
        seen.c_tag = None;
        assert!(!round(&mut m, &[seen]));
        let t = m.list(true).into_iter().find(|e| e.path.ends_with("t.txt"));
        assert_eq!(t.unwrap().hash.as_deref(), Some("ctag"));
    }
}
