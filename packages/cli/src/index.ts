export const PACKAGE = "@qos/cli";
