// Every GraphQL document the dashboard sends, as in schema.graphql (public API only).

export const DOCUMENT_ROW = `
  id filename status stage progress pageCount creditsUsed createdAt startedAt finishedAt
  error { code message } owner { email }
  options { engine translateTo dualLanguage pages ocrLanguage }`;

export const LOGIN = `mutation Login($email: String!, $password: String!) {
  login(email: $email, password: $password) { accessToken expiresAt user { id email role } } }`;
export const REGISTER = `mutation Register($input: RegisterInput!) {
  register(input: $input) { accessToken expiresAt user { id email role } } }`;
export const ME = `query Me { me { id email name role tier creditsUsed creditsLimit } }`;
export const LANGUAGES = `query Languages { supportedLanguages }`;

export const DOCUMENTS = `query Documents($first: Int, $after: String, $status: JobStatus, $search: String) {
  documents(first: $first, after: $after, status: $status, search: $search) {
    totalCount pageInfo { hasNextPage endCursor } edges { node { ${DOCUMENT_ROW} } } } }`;
export const DOCUMENT_ROW_BY_ID = `query Row($id: ID!) { document(id: $id) { ${DOCUMENT_ROW} } }`;

export const UPLOAD = `mutation Upload($file: Upload!, $options: ProcessingOptionsInput) {
  uploadDocument(file: $file, options: $options) { ${DOCUMENT_ROW} } }`;
export const CANCEL = `mutation Cancel($id: ID!) { cancelDocument(id: $id) { ${DOCUMENT_ROW} } }`;
export const REPROCESS = `mutation Reprocess($id: ID!, $options: ProcessingOptionsInput) {
  reprocessDocument(id: $id, options: $options) { ${DOCUMENT_ROW} } }`;
export const DELETE = `mutation Delete($id: ID!) { deleteDocument(id: $id) }`;

export const MY_JOBS = `subscription MyJobs { myJobs { documentId status stage progress page pageCount message } }`;
export const ALL_JOBS = `subscription AllJobs { allJobs { documentId status stage progress page pageCount message } }`;
export const JOB_PROGRESS = `subscription Job($documentId: ID!) {
  jobProgress(documentId: $documentId) { documentId status stage progress page pageCount message } }`;

const BLOCK = `page type level text translatedText table { headers rows translatedHeaders translatedRows }`;
export const DOCUMENT_PAGES = `subscription Pages($documentId: ID!) {
  documentPages(documentId: $documentId) { page pageCount blocks { ${BLOCK} } } }`;
export const DOCUMENT_VIEW = `query DocumentView($id: ID!) {
  document(id: $id) {
    ${DOCUMENT_ROW} sizeBytes pdfType engine cached processingMs
    json: downloadUrl(format: JSON) markdown: downloadUrl(format: MARKDOWN) text: downloadUrl(format: TEXT)
    original: downloadUrl(format: ORIGINAL) translated: downloadUrl(format: TRANSLATED_PDF)
    dual: downloadUrl(format: DUAL_PDF)
    logs(first: 100) { edges { node { id at level stage message } } } } }`;
export const DOCUMENT_CONTENT = `query Content($id: ID!) {
  document(id: $id) { content { title pageCount blocks { ${BLOCK} } } } }`;

export const USAGE = `query Usage($days: Int) {
  usage(days: $days) { documents pages creditsUsed creditsLimit days { date documents pages credits } }
  creditLogs(first: 20) { edges { node { id at amount balanceAfter description } } } }`;

export const USERS = `query Users($search: String, $first: Int, $after: String) {
  users(search: $search, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { id email name role tier creditsLimit creditsUsed isActive lastActiveAt } } } }`;
export const UPDATE_USER = `mutation UpdateUser($id: ID!, $input: UpdateUserInput!) {
  updateUser(id: $id, input: $input) { id role tier creditsLimit isActive } }`;
export const SETTINGS = `query Settings { settings { key value description secret updatedAt } }`;
export const UPDATE_SETTING = `mutation UpdateSetting($key: String!, $value: String) {
  updateSetting(key: $key, value: $value) { key value } }`;
export const PROVIDER_KEYS = `query Keys { providerKeys { id provider label last4 isActive requests failures lastUsedAt } }`;
export const ADD_KEY = `mutation AddKey($provider: String!, $key: String!, $label: String) {
  addProviderKey(provider: $provider, key: $key, label: $label) { id } }`;
export const REMOVE_KEY = `mutation RemoveKey($id: ID!) { removeProviderKey(id: $id) }`;
export const LOGS = `query Logs($documentId: ID, $level: LogLevel, $first: Int, $after: String) {
  processingLogs(documentId: $documentId, level: $level, first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { node { id at level stage message document { id filename } } } } }`;

export const STATUSES = ["QUEUED", "PROCESSING", "COMPLETED", "FAILED", "CANCELLED"];
export const TERMINAL = new Set(["COMPLETED", "FAILED", "CANCELLED"]);
export const ENGINES = ["AUTO", "TEXT", "OCR", "LLM_OCR"];
