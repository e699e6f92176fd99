/** A Compose file the project cannot use: the message names the file's path (`services.web.ports[0]`). */
export class ComposeError extends Error {}
