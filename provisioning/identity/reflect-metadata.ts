/**
 * The three Reflect metadata functions tsyringe (a dependency of @peculiar/x509) checks
 * for when it loads. Only @peculiar/x509's own algorithm classes use them, so a plain
 * per-object map is enough; the `reflect-metadata` package would replace this file.
 * Import it (through ./x509.js) before the library.
 */
type MetadataMap = Map<unknown, unknown>;

const store = new WeakMap<object, Map<PropertyKey | undefined, MetadataMap>>();

function ownMap(target: object, property: PropertyKey | undefined): MetadataMap | undefined {
  return store.get(target)?.get(property);
}

const reflect = Reflect as unknown as Record<string, unknown>;
if (typeof reflect.getMetadata !== "function") {
  reflect.getOwnMetadata = (key: unknown, target: object, property?: PropertyKey): unknown =>
    ownMap(target, property)?.get(key);
  reflect.getMetadata = (key: unknown, target: object, property?: PropertyKey): unknown => {
    for (
      let at: object | null = target;
      at !== null;
      at = Object.getPrototypeOf(at) as object | null
    ) {
      const map = ownMap(at, property);
      if (map?.has(key) === true) return map.get(key);
    }
    return undefined;
  };
  reflect.defineMetadata = (
    key: unknown,
    value: unknown,
    target: object,
    property?: PropertyKey,
  ): void => {
    let byProperty = store.get(target);
    if (byProperty === undefined) {
      byProperty = new Map<PropertyKey | undefined, MetadataMap>();
      store.set(target, byProperty);
    }
    let map = byProperty.get(property);
    if (map === undefined) {
      map = new Map<unknown, unknown>();
      byProperty.set(property, map);
    }
    map.set(key, value);
  };
}

export {};
