/** What the visibility rule needs to know of a catalog item. */
export interface CatalogItemVisibility {
  readonly published: boolean;
  readonly instructor: { readonly id: string } | null | undefined;
}

/** What authorization needs to know of a catalog item. */
export interface ItemAccess {
  /** The teaching user's id; null for none. */
  readonly instructorId: string | null;
}

/** Who an enrollment belongs to, and who teaches its item. */
export interface EnrollmentAccess {
  readonly userId: string;
  readonly catalogItemId: string;
  readonly instructorId: string | null;
}

/**
 * The owners of resources, for the rules whose request names a resource
 * rather than its owner, and the catalog item a resource hangs off. Each is
 * one primary-key lookup (with at most one join on a primary key). Every
 * method answers undefined for an id that is not well formed or names
 * nothing: the rules let such calls through to the service, which answers
 * INVALID_ARGUMENT or NOT_FOUND and changes nothing.
 */
export interface AccessLookups {
  catalogItem(id: string): Promise<ItemAccess | undefined>;
  /** The catalog item a lesson belongs to. */
  lessonItem(lessonId: string): Promise<ItemAccess | undefined>;
  enrollment(id: string): Promise<EnrollmentAccess | undefined>;
  /** The paying user of a payment. */
  paymentOwner(id: string): Promise<string | undefined>;
  /** What the visibility rule needs of an item, read as GetCatalogItem reads it (through the item cache). */
  itemVisibility(id: string): Promise<CatalogItemVisibility | undefined>;
  /** The id of the catalog item a lesson belongs to. */
  lessonItemId(lessonId: string): Promise<string | undefined>;
  /** The id of the catalog item whose forum holds a thread. */
  threadItemId(threadId: string): Promise<string | undefined>;
  /** The id of the catalog item whose forum holds a post. */
  postItemId(postId: string): Promise<string | undefined>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const OBJECT_ID = /^[0-9a-f]{24}$/i;

/** True for the ids our resources have: UUIDs (PostgreSQL rows) and ObjectIds (MongoDB documents). */
export function isResourceId(id: string): boolean {
  return UUID.test(id) || OBJECT_ID.test(id);
}

/**
 * Where the lookups read: each domain's reads of its own tables (the catalog's
 * CatalogReads, the enrollment domain's EnrollmentReads, billing's
 * BillingReads, the forum's ForumReads), composed by the composition root
 * (src/app.ts). They take ids as given; the lookups check the ids' form first.
 */
export interface AccessSources {
  readonly catalog: {
    instructorOfItem(itemId: string): Promise<ItemAccess | undefined>;
    instructorOfLesson(lessonId: string): Promise<ItemAccess | undefined>;
    itemOfLesson(lessonId: string): Promise<string | undefined>;
  };
  readonly enrollments: { enrollmentParties(id: string): Promise<EnrollmentAccess | undefined> };
  readonly payments: { payerOf(paymentId: string): Promise<string | undefined> };
  readonly forum: {
    itemOfThread(threadId: string): Promise<string | undefined>;
    itemOfPost(postId: string): Promise<string | undefined>;
  };
  /** A catalog item as GetCatalogItem reads it (the item cache); undefined when there is none. */
  readonly item: (id: string) => Promise<CatalogItemVisibility | undefined>;
}

/** AccessLookups over the domains' reads and the catalog item cache; an id of the wrong form reads nothing. */
export function storeAccessLookups({ catalog, enrollments, payments, forum, item }: AccessSources): AccessLookups {
  const uuid = readingOnly(UUID);
  const objectId = readingOnly(OBJECT_ID);
  return {
    catalogItem: uuid((id) => catalog.instructorOfItem(id)),
    lessonItem: uuid((lessonId) => catalog.instructorOfLesson(lessonId)),
    enrollment: uuid((id) => enrollments.enrollmentParties(id)),
    paymentOwner: uuid((id) => payments.payerOf(id)),
    itemVisibility: uuid(item),
    lessonItemId: uuid((lessonId) => catalog.itemOfLesson(lessonId)),
    threadItemId: objectId((threadId) => forum.itemOfThread(threadId)),
    postItemId: objectId((postId) => forum.itemOfPost(postId)),
  };
}

/** A read that is asked only for ids of `form`, and answers undefined for any other. */
function readingOnly(form: RegExp) {
  return <T>(read: (id: string) => Promise<T | undefined>) =>
    async (id: string): Promise<T | undefined> =>
      form.test(id) ? read(id) : undefined;
}
