// swagger-ui-dist ships its bundles without types; this is the one call the page makes.
declare module "swagger-ui-dist/swagger-ui-es-bundle.js" {
  interface SwaggerUi {
    preauthorizeApiKey(scheme: string, value: string): void;
  }
  const SwaggerUIBundle: (options: Record<string, unknown>) => SwaggerUi;
  export default SwaggerUIBundle;
}
