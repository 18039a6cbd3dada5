"""The category tree, read once per request: parents, children, lineage, for menus and
breadcrumbs."""

from dataclasses import dataclass, field

from catalog.models import Category
from catalog.services.admission import attribute_schema, lineage_in
from catalog.services.pages import LISTINGS
from mall import pagecache

# --- Categories --------------------------------------------------------------------------


@dataclass
class CategoryTree:
    """Every category, loaded in one query; walks the tree in Python (categories are few).

    A category is *visible* when it and all its ancestors are shown on the storefront.
    """

    by_id: dict[int, Category]
    children_of: dict[int | None, list[Category]] = field(default_factory=dict)

    def __post_init__(self):
        for category in self.by_id.values():  # already in (position, name) order
            self.children_of.setdefault(category.parent_id, []).append(category)

    def lineage(self, category: Category) -> list[Category]:
        """Root first, ending with ``category``."""
        if category.pk not in self.by_id:
            return []
        return lineage_in(self.by_id, category)[::-1]

    def is_visible(self, category: Category) -> bool:
        lineage = self.lineage(category)
        return bool(lineage) and all(c.is_active for c in lineage)

    def children(self, category: Category | None) -> list[Category]:
        """The visible children of ``category`` (of the root when ``None``)."""
        parent_id = category.pk if category is not None else None
        return [c for c in self.children_of.get(parent_id, []) if c.is_active]

    def roots(self) -> list[Category]:
        """Visible top-level categories, each with ``subcategories`` set to its children."""
        roots = self.children(None)
        for root in roots:
            root.subcategories = self.children(root)
        return roots

    def visible_by_slug(self, slug: str) -> Category | None:
        category = next((c for c in self.by_id.values() if c.slug == slug), None)
        return category if category is not None and self.is_visible(category) else None

    def descendant_ids(self, category: Category) -> set[int]:
        """``category`` and its visible subcategories at any depth."""
        ids, pending = set(), [category]
        while pending:
            current = pending.pop()
            if current.pk in ids:
                continue
            ids.add(current.pk)
            pending.extend(self.children(current))
        return ids

    def visible(self) -> list[Category]:
        """Every visible category, depth first in display order (parents before children)."""
        ordered, pending = [], list(reversed(self.children(None)))
        while pending:
            current = pending.pop()
            ordered.append(current)
            pending.extend(reversed(self.children(current)))
        return ordered


def _load_tree() -> CategoryTree:
    return CategoryTree(by_id={c.pk: c for c in Category.objects.order_by("position", "name")})


def category_tree() -> CategoryTree:
    """The category tree: one query, or none while it is cached (until a category
    changes, which bumps the listings' version)."""
    return pagecache.remembered("catalog:tree", LISTINGS, _load_tree)


def category_attributes(category: Category):
    """The attribute schema of ``category`` (its own and inherited), cached like the tree."""
    return pagecache.remembered(
        f"catalog:schema:{category.pk}", LISTINGS, lambda: attribute_schema(category)
    )
