import { Controller, Header, Inject } from '@nestjs/common';
import { Endpoint } from '../http/endpoint';
import { docsRoutes } from './docs.routes';

export const OPENAPI_DOCUMENT = Symbol('OPENAPI_DOCUMENT');
/** Where the Swagger UI assets of swagger-ui-dist are served (plain static middleware). */
export const DOCS_ASSETS_PATH = '/docs/assets';

const DOCS_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Switchyard API</title>
<link rel="stylesheet" href="${DOCS_ASSETS_PATH}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="${DOCS_ASSETS_PATH}/swagger-ui-bundle.js"></script>
<script>
window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui', persistAuthorization: true, deepLinking: true });
</script>
</body>
</html>
`;

@Controller()
export class DocsController {
  constructor(@Inject(OPENAPI_DOCUMENT) private readonly document: Record<string, unknown>) {}

  @Endpoint(docsRoutes.openapi)
  openapi(): Record<string, unknown> {
    return this.document;
  }

  @Endpoint(docsRoutes.docs)
  @Header('Content-Type', 'text/html; charset=utf-8')
  docs(): string {
    return DOCS_PAGE;
  }
}
