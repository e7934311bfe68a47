// @peculiar/x509 loads tsyringe, which refuses to load without Reflect metadata: the
// polyfill has to be evaluated first, so every module reaches the library through here.
import "reflect-metadata";

export * from "@peculiar/x509";
