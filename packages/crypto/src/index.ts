export const PACKAGE = "@qos/crypto";
