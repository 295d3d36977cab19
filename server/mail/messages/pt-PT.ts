// Português europeu: "palavra-passe", "ligação", "utilizador", "aplicação de autenticação".
import type { MailMessageId } from './en.js';

export const ptPT: Record<MailMessageId, string> = {
  'mail.greeting': 'Olá, {userName},',
  'mail.openAddress': 'Ou abra este endereço: {link}',
  'mail.signature': '— AgentDesk',

  'invitation.subject': 'Foi convidado para {accountName} no AgentDesk',
  'invitation.body': '{invitedBy} convidou-o a iniciar sessão em {accountName} no AgentDesk. Abra a ligação abaixo para escolher a sua palavra-passe; depois inicie sessão com o seu email e essa palavra-passe.',
  'invitation.button': 'Escolher a palavra-passe',
  'invitation.expiry': 'A ligação funciona uma vez, até {expiresAt, date, when}. Se não esperava este convite, ignore esta mensagem.',

  'passwordReset.subject': 'Reponha a sua palavra-passe do AgentDesk para {accountName}',
  'passwordReset.reason': '{by, select, admin {Um administrador de {accountName} enviou-lhe uma ligação para escolher uma nova palavra-passe.} other {Alguém (esperamos que tenha sido você) pediu para repor a sua palavra-passe de {accountName}.}}',
  'passwordReset.button': 'Escolher uma nova palavra-passe',
  'passwordReset.expiry': 'A ligação funciona uma vez, até {expiresAt, date, when}. Escolher uma nova palavra-passe termina todas as suas sessões; depois inicie sessão com ela e com o seu segundo fator, como habitualmente. Se não pediu isto, ignore esta mensagem: a sua palavra-passe fica como está.',

  'security.subject': 'Alteração de segurança na sua conta do AgentDesk ({accountName})',
  'security.happened': '{what} ({when, date, when}).',
  'security.notMeIntro': 'Se não foi você, termine todas as sessões da sua conta e alerte os seus administradores:',
  'security.notMeButton': 'Não fui eu',
  'security.tellAdmin': 'Se não foi você, avise já o seu administrador.',

  'notMe.subject': '{userName} comunicou uma atividade que não reconhece ({accountName})',
  'notMe.reported': '{userName} ({userEmail}) respondeu «Não fui eu» em {reportedAt, date, when} a este aviso de segurança de {happenedAt, date, when}{hasAddress, select, yes {, a partir de {address}} other {}}:',
  'notMe.quote': 'Aviso: «{what}»',
  'notMe.advice': 'Nesse momento, todas as sessões de {userName} foram terminadas. Outra pessoa pode conhecer a palavra-passe ou ter o segundo fator deste utilizador: consulte o registo de auditoria, reponha a autenticação de dois fatores ou a palavra-passe se for preciso, e resolva o alerta na consola:',
  'notMe.button': 'Abrir a consola',

  'method.defaultName': '{method, select, security_key {Chave de segurança} other {Aplicação de autenticação}}',
  'activity.method_added': '{method, select, security_key {Foi adicionada uma chave de segurança} other {Foi adicionada uma aplicação de autenticação}}{named, select, yes { “{name}”} other {}} como segundo fator da sua conta',
  'activity.method_removed': '{method, select, security_key {A chave de segurança} other {A aplicação de autenticação}}{named, select, yes { “{name}”} other {}} foi removida da sua conta',
  'activity.recovery_codes_regenerated': 'Foram gerados novos códigos de recuperação para a sua conta; os antigos deixaram de funcionar',
  'activity.two_factor_reset': 'Um administrador repôs a sua autenticação de dois fatores: os seus métodos e códigos de recuperação foram removidos',
  'activity.password_changed': '{byResetLink, select, yes {A sua palavra-passe foi alterada com uma ligação de reposição} other {A sua palavra-passe foi alterada}}',
  'activity.new_device_sign_in': 'Alguém iniciou sessão na sua conta a partir de um novo dispositivo',
  'activity.enrollment_code_redeemed': 'Foi utilizado um código de inscrição do seu administrador para configurar a autenticação de dois fatores na sua conta',
  'activity.other': 'A segurança da sua conta foi alterada',
};
