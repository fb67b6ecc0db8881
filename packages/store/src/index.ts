export const PACKAGE = "@qos/store";
